"""The lengths of the text columns that hold configured names, in one place.

The models declare their columns with these, and configuration refuses a marketplace or a
rejection code that would not fit, when it is set rather than when PostgreSQL first fails
to store it (issue 11, defect 2). Kept import-free so settings stay cheap to load.
"""

from __future__ import annotations

#: task.marketplace and principal.marketplace.
MARKETPLACE = 50
#: task.rejection_code.
REJECTION_CODE = 50
