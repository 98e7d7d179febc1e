-- Reserved for the intervisions capability; filled by its issue.
SELECT 1;
