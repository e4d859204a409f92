// Deployment settings of the web client. This file is public: never put a secret here.
// apiBaseUrl: where the API is. "" = the same origin as this page (the local stack);
// in production, e.g. "https://api.videogen.example" (the API must allow this origin: CORS).
export default {
  apiBaseUrl: "",
};
