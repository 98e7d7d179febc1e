-- Reserved for the moderation capability; filled by its issue.
SELECT 1;
