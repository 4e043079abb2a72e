"""The HTTP gateway: authenticates people, routes to services over gRPC, speaks problem+json.

It imports only generated contracts and the chassis, never a service's code.
"""
