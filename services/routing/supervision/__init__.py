"""Supervision (督办, 000 §五): every transfer, acceptance, decision and emergency paperwork
watched end to end; warnings before a limit, escalations up the supervisors' chain after it;
extensions with a named approver and a reason; the reports that name slow departments."""
