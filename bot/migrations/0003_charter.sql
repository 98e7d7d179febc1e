-- Reserved for the charter capability (acceptances, automod state); filled by its issue.
SELECT 1;
