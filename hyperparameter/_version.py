"""The package's version, one place for the facade, the CLI and the native module's check."""

__version__ = "0.7.0"
