"""VideoGen shared package: routers, services and adapters used by every Lambda function."""
