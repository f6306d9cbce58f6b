"""The joint meeting (社会救助联席会议, 003 三(二)2): cases with no clear owner, or returned
twice, wait here until its convener or a supervisor assigns them to a department or refers
them to an organisation."""
