"""What the offline plan writes in place of values it cannot know; the program, the plan and the rules share it.

Dependency-free on purpose: the Pulumi program imports it without the policy pack's packages.
"""

# A secret's value: the plan has no CLI to decrypt stack secrets, and never writes secret outputs.
SECRET = "[secret]"
# An output that is not known before the resource exists (a real `pulumi preview` leaves it unknown too).
UNKNOWN = "[unknown]"
