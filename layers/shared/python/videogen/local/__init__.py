"""The embedded local stack (`make run`): never imported by a Lambda function."""
