-- Reserved for moderation cases, reports and duty rota; filled by its issue.
SELECT 1;
