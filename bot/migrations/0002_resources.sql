-- Reserved for the resources capability; filled by its issue.
SELECT 1;
