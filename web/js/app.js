// The single-page app: hash routes (#/videos, …), the header, and page changes.
// Hash routes work from any static host (S3/CloudFront) without rewrite rules.

import { api } from "./api.js";
import { h } from "./dom.js";
import { clearSession, getSession, onSessionChange } from "./session.js";
import * as login from "./pages/login.js";
import * as register from "./pages/register.js";
import * as generate from "./pages/generate.js";
import * as videos from "./pages/videos.js";
import * as classes from "./pages/classes.js";
import * as adminUsers from "./pages/admin-users.js";
import * as adminJobs from "./pages/admin-jobs.js";
import * as adminKpis from "./pages/admin-kpis.js";
import * as scopeKpis from "./pages/kpis.js";
import * as klass from "./pages/class.js";
import * as safety from "./pages/safety.js";
import { unseenSafetyEvents } from "./safety-badge.js";
import * as school from "./pages/school.js";
import * as activity from "./pages/activity.js";
import * as teachers from "./pages/teachers.js";
import * as budget from "./pages/budget.js";
import { budgetBanner, forgetBudgetStatus } from "./budget.js";

// access: "guest" (signed out only), "user" (signed in), "teacher" (a teacher, a school's
// admin or an operator), "admin" (a school's admin, or an operator), "operator" (runs the
// deployment: the deployment-wide KPIs).
const ROUTES = {
  "/login": { page: login, title: "Sign in", access: "guest", nav: "Sign in" },
  "/register": { page: register, title: "Create an account", access: "guest", nav: "Register" },
  "/generate": { page: generate, title: "Create a video", access: "user", nav: "Create" },
  "/videos": { page: videos, title: "My videos", access: "user", nav: "My videos" },
  "/classes": { page: classes, title: "Classes", access: "user", nav: "Classes" },
  "/class": { page: klass, title: "Class", access: "teacher" }, // opened from a class on Classes
  "/safety": { page: safety, title: "Safety", access: "teacher", nav: "Safety", badge: unseenSafetyEvents },
  "/admin/users": { page: adminUsers, title: "Users", access: "admin", nav: "Users" },
  "/admin/jobs": { page: adminJobs, title: "Jobs", access: "admin", nav: "Jobs" },
  "/school": { page: school, title: "School settings", access: "admin", nav: "School" },
  "/school/budget": { page: budget, title: "Budget", access: "admin", nav: "Budget" },
  "/school/teachers": { page: teachers, title: "Teachers", access: "admin", nav: "Teachers" },
  "/school/activity": { page: activity, title: "Activity", access: "admin", nav: "Activity" },
  "/kpis": { page: scopeKpis, title: "School KPIs", access: "teacher", nav: "School KPIs" },
  "/admin/kpis": { page: adminKpis, title: "KPI dashboard", access: "operator", nav: "KPIs" },
};

const ADMIN_ROLES = new Set(["admin", "operator"]);
const TEACHING_ROLES = new Set(["teacher", "admin", "operator"]);
const REFUSED = {
  teacher: "That page is for teachers.",
  admin: "That page is for admins.",
  operator: "That page is for operators.",
};

/** Whether the signed-in (or not) visitor may open a route of this access level. */
function mayOpen(access) {
  if (access === "guest") return !profile;
  if (access === "teacher") return Boolean(profile) && TEACHING_ROLES.has(profile.role);
  if (access === "admin") return Boolean(profile) && ADMIN_ROLES.has(profile.role);
  if (access === "operator") return Boolean(profile) && profile.role === "operator";
  return Boolean(profile);
}

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const account = document.getElementById("account");
const announcer = document.getElementById("announcer");
const banner = document.getElementById("budget-banner");

let profile = null;
let leaveHandlers = [];
let renderCount = 0;
let flashMessage = null;

/** Says something to screen-reader users without moving focus. */
function announce(message) {
  announcer.textContent = "";
  setTimeout(() => (announcer.textContent = message), 50);
}

function parseHash() {
  const raw = location.hash.startsWith("#/") ? location.hash.slice(1) : "/";
  const [path, search = ""] = raw.split("?");
  return { path, params: new URLSearchParams(search) };
}

function navigate(hash, flash) {
  if (flash) flashMessage = flash;
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function loadProfile() {
  if (!getSession()) return null;
  try {
    return await api("GET", "/me");
  } catch {
    return null;
  }
}

/** A count after a link's name ("Safety 3 new"), fetched after the header is drawn. */
async function addBadge(link, count) {
  const n = await count();
  if (!n || !link.isConnected) return;
  link.append(h("span", { class: "badge" }, String(n), h("span", { class: "visually-hidden" }, " new")));
}

function renderHeader(currentPath) {
  const visible = Object.entries(ROUTES).filter(([, r]) => r.nav && mayOpen(r.access));
  nav.replaceChildren(
    ...visible.map(([path, r]) => {
      const link = h("a", { href: `#${path}`, "aria-current": path === currentPath ? "page" : null }, r.nav);
      if (r.badge && path !== currentPath) addBadge(link, r.badge);
      return h("li", {}, link);
    }),
  );
  if (!profile) {
    account.replaceChildren();
    return;
  }
  account.replaceChildren(
    h("span", { class: "who" }, profile.display_name, " ", h("span", { class: "role" }, profile.role)),
    h("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out"),
  );
}

/**
 * The budget banner (80 % and 100 % of the school's month) for a school's admins, and for an
 * operator looking at a school (?school_id=). Drawn after the page's header, from a status
 * cached for a minute; a failed call shows nothing.
 */
let bannerCount = 0;
async function renderBanner(params) {
  const count = ++bannerCount;
  const schoolId = params.get("school_id") || "";
  const wanted = profile && (profile.role === "admin" || (profile.role === "operator" && schoolId));
  const current = banner.firstElementChild;
  const shown = wanted ? await budgetBanner(profile.role === "operator" ? schoolId : "", current) : null;
  if (count !== bannerCount) return;
  if (shown) banner.replaceChildren(shown);
  else banner.replaceChildren();
}

async function signOut(event) {
  event.currentTarget.disabled = true;
  flashMessage = "You are signed out.";
  try {
    // The server revokes the session: its refresh token dies, its access token can no
    // longer submit or change anything. Signed out here even if the server cannot be reached.
    await api("POST", "/auth/logout");
  } catch {
    // a session the server already ended (401) or no network: nothing more to do here
  }
  if (getSession()) clearSession(); // the session listener below shows the sign-in page
}

function defaultPath() {
  return profile ? "/generate" : "/login";
}

async function route() {
  const count = ++renderCount;
  leaveHandlers.forEach((leave) => leave());
  leaveHandlers = [];

  const { path, params } = parseHash();
  if (getSession() && !profile) profile = await loadProfile();
  if (!getSession()) profile = null;
  if (count !== renderCount) return;

  const target = ROUTES[path];
  const allowed = target && mayOpen(target.access);
  if (!allowed) {
    if (target && profile && REFUSED[target.access]) flashMessage = REFUSED[target.access];
    history.replaceState(null, "", `#${defaultPath()}`);
    return route();
  }

  renderHeader(path);
  renderBanner(params);
  document.title = `${target.title} · VideoGen`;
  const ctx = {
    profile,
    params,
    announce,
    navigate,
    onLeave: (handler) => leaveHandlers.push(handler),
    refreshBanner: () => renderBanner(params),
    signedIn: async () => {
      profile = await loadProfile();
    },
  };
  const flashText = flashMessage;
  const flash = flashText ? h("p", { class: "flash", role: "status" }, flashText) : null;
  main.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  let page;
  try {
    page = await target.page.render(ctx);
  } catch (error) {
    page = h("div", { class: "error", role: "alert" }, error.message || "Something went wrong.");
  }
  if (count !== renderCount) return;
  if (flashMessage === flashText) flashMessage = null;
  main.replaceChildren(...[flash, page].filter(Boolean));
  const heading = main.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

onSessionChange((session) => {
  forgetBudgetStatus(); // another account may sign in in this tab
  if (!session) {
    profile = null;
    if (ROUTES[parseHash().path]?.access !== "guest") navigate("#/login", flashMessage || "Please sign in again.");
  }
});

// The skip link focuses the content without touching the route in the hash.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener("hashchange", () => {
  if (location.hash.startsWith("#/") || location.hash === "") route();
});
route();
