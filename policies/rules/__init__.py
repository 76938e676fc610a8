"""The pack's rules by concern; catalogue.py assembles them. Importing this package needs no pulumi-policy,
so the program can share its dependency-free modules (apim_xml, plan_markers)."""
