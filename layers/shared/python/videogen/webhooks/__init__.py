"""fal.ai webhook deliveries: verified, recorded, applied exactly once."""
