"""Camera relay: pulls each camera once (ffmpeg -c copy) and fans it out as MPEG-TS over HTTP."""
