# Customers and the points ledger arrive with the loyalty issue.
