"""Backup and restore (`manage.py backup PATH`, `manage.py restore PATH`): one archive holding every
app's rows (Django's serialisation, so either database restores into either), the media and a
manifest. services.py holds the two writes; the other modules are their parts."""
