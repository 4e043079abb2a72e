"""Aira's seven domain services and the chassis they share."""
