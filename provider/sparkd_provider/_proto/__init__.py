"""gRPC stubs for sparkd.v1, generated from proto/ at build time by hatch_build.py."""
