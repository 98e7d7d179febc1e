-- Reserved for the jobs capability; filled by its issue.
SELECT 1;
