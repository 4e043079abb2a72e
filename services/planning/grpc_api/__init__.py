"""Planning's gRPC surface, one module per contract: translate protobuf to domain calls and back."""
