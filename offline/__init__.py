"""The offline plan: the real program under Pulumi's mock engine, written to build/<stack>/."""
