"""Routing (分办): hands each item of an application on by its disposition (a task per
department, a referral, the joint meeting), re-routes returned tasks, keeps the transfer
ledger, and supervises every stage (督办) with warnings, escalations and extensions."""
