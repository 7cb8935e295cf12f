#!/usr/bin/env python3
"""Generates a large, varied, deterministic mboxrd corpus for import/store benchmarks (stdlib only).

    bench/gen_mbox.py OUT.mbox [--count 100000] [--seed 1]

The same --count and --seed give the same file, byte for byte. What the messages are like:
  - sizes long-tailed: median about 4.5 KB, mean about 8.7 KB, 90% under 16 KB, text bodies up
    to ~100 KB, rare attachments up to ~1 MB (100,000 messages: about 870 MB, ~20 s);
  - text/plain (7bit, 8bit, quoted-printable, base64), multipart/alternative text+html,
    multipart/mixed with base64 attachments (pdf, images, office files, csv, patches, calendar),
    multipart/related with an inline image, html-only newsletters, multipart/signed, bounce
    reports (multipart/report), forwards as message/rfc822 parts and inline;
  - English, German, French, Spanish, Russian and Chinese text; RFC 2047 encoded subjects and
    display names in utf-8, iso-8859-1 and koi8-r (B and Q), RFC 2231 file names, a few raw
    8-bit (RFC 6532 style) headers;
  - threads: replies carry In-Reply-To and References to earlier Message-IDs, and quote them;
  - Date headers over 2016-2024 in many time zones and a few obsolete forms;
  - From/To/Cc with one to dozens of recipients, folded headers, Received chains, DKIM, lists;
  - some body lines start with "From " or ">From ", which the mboxrd quoting turns into
    ">From " and ">>From ".
Addresses use reserved domains only (example.com/.net/.org, *.example, *.test).

mbox format (mboxrd), as tests/e2e/mail_corpus.py's write_mbox() writes it except that the
separator line carries the envelope sender and the message's date: each message is preceded by
"From SENDER Www Mmm dd hh:mm:ss yyyy", lines matching /^>*From / get one more ">", line ends
are LF, and each message ends with one blank line (not part of the message).
"""

import argparse
import base64
import binascii
import math
import random
import re
import time

# ---------------------------------------------------------------------------------------------
# Vocabulary

EN_WORDS = """
the of and to in is it that for on with as was at by be this have from or an are not but had
they which you one all were we when there can more if out so what about up said into would has
them time some could other than then now only its also after use two how our work first well
way even new want because any these give day most us project meeting report schedule budget
review team release server update customer issue ticket deadline proposal draft contract
invoice payment order delivery shipment account password support question answer request
change plan test build deploy version feature bug fix patch merge branch commit document
file attachment slides agenda minutes call conference office travel flight hotel weekend
morning afternoon evening tomorrow yesterday today week month quarter year monday friday
please thanks regards hello cheers sorry great good fine sure maybe probably definitely
important urgent quick short long final next last previous following attached below above
data database query index cache memory disk network latency throughput performance load
storage backup restore migration upgrade install configure monitor alert error warning log
policy security audit compliance review approval sign-off manager director engineer analyst
designer developer marketing sales finance legal product research lunch dinner coffee
discuss consider confirm check send forward reply receive share finish start stop continue
""".split()

DE_WORDS = """
der die das und ist nicht mit auf für von den dem ein eine einer zu im es sich auch als wir
Sie ich haben wird werden bei nach über vor noch nur schon wie aber oder wenn dann können
müssen würde Grüße Besprechung Bericht Termin Änderung Prüfung Lösung Straße Größe Übersicht
Mitarbeiter Geschäftsführer Rückmeldung Anhang Unterlagen Angebot Rechnung Lieferung bitte
danke schön freundlichen morgen heute nächste Woche gemäß Vorschlag Zusammenfassung Qualität
""".split()

FR_WORDS = """
le la les de des du et est un une pour dans que qui pas sur avec par plus nous vous il elle
être avoir fait été très bien réunion rapport équipe réponse déjà après problème année
prochaine semaine dernière leçon garçon français hôtel fenêtre où ça à côté voilà merci
cordialement bonjour demain aujourd'hui projet société développement qualité sécurité
""".split()

ES_WORDS = """
el la los las de del y en que un una por para con no es se lo como más pero sus le ya o
este sí porque esta entre cuando muy sin sobre también reunión informe equipo año mañana
señor niño canción corazón después próxima semana gracias saludos atención pequeño
""".split()

RU_WORDS = """
и в не на я что он с как а то все она так его но да ты к у же вы за бы по только
её мне было вот от меня ещё нет о из ему теперь когда даже ну вдруг ли если уже или
встреча отчёт проект команда сервер письмо вопрос ответ завтра сегодня неделя месяц год
спасибо пожалуйста здравствуйте уважаемый коллеги документ договор счёт оплата доставка
""".split()

ZH_WORDS = """
我们 你们 他们 会议 报告 项目 团队 服务器 问题 回答 明天 今天 下周 谢谢 请 文件 合同
发票 付款 订单 交付 更新 版本 测试 部署 客户 支持 邮件 附件 时间 安排 确认 讨论 完成
""".split()

LANGS = {
    # name: (words, weight, charsets for text parts, words joined by)
    "en": (EN_WORDS, 70, ("us-ascii", "utf-8"), " "),
    "de": (DE_WORDS, 8, ("iso-8859-1", "utf-8"), " "),
    "fr": (FR_WORDS, 6, ("iso-8859-1", "utf-8"), " "),
    "es": (ES_WORDS, 4, ("iso-8859-1", "utf-8"), " "),
    "ru": (RU_WORDS, 8, ("koi8-r", "utf-8"), " "),
    "zh": (ZH_WORDS, 4, ("utf-8",), ""),
}

FIRST_NAMES = {
    "en": "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
          "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa "
          "Anthony Betty Mark Sandra Paul Ashley Steven Emily Andrew Donna Kevin Michelle".split(),
    "de": "Jürgen Günter Jörg Björn Sören Käthe Bärbel Uwe Klaus Dieter Anja Dörte Frank Heike "
          "Jan Grete Lüder Ute Sabine Martina".split(),
    "fr": "François Hélène Jérôme Zoé Gaël Léa Anaïs Noël Céline Benoît Agnès René André "
          "Mathéo Chloé".split(),
    "es": "José María Begoña Íñigo Ramón Inés Sebastián Lucía Óscar Andrés Núria Ángel".split(),
    "ru": "Александр Мария Дмитрий Анна Сергей Елена Андрей Ольга Алексей Наталья Иван "
          "Татьяна Михаил Юлия Пётр".split(),
    "zh": "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟".split(),
}
LAST_NAMES = {
    "en": "Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Anderson Taylor Thomas "
          "Moore Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen "
          "O'Brien Kingsley-Hart".split(),
    "de": "Müller Schröder Weiß Bäcker Schäfer Köhler Krüger Groß Hoffmann Schmidt Fuß Möller "
          "Böhm Jäger".split(),
    "fr": "Lefèvre Dupré Bérenger Thérien Gagné Côté Lévêque Fontaine Moreau Mercier "
          "Girard".split(),
    "es": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Muñoz".split(),
    "ru": "Иванов Смирнова Кузнецов Попова Васильев Петрова Соколов Михайлова Новиков Фёдоров "
          "Морозова".split(),
    "zh": "王 李 张 刘 陈 杨 黄 赵 吴 周".split(),
}
# ASCII spellings for mailbox names.
TRANSLIT = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "é": "e",
    "è": "e", "ê": "e", "ë": "e", "à": "a", "â": "a", "ç": "c", "î": "i", "ï": "i", "ô": "o",
    "û": "u", "ù": "u", "í": "i", "ó": "o", "ú": "u", "á": "a", "ñ": "n", "Í": "I", "Ó": "O",
    "Á": "A", "É": "E", "Ñ": "N", "'": "", " ": "",
})
RU_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                       "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya"
                       .replace("  ", " _ ").split(" ")))
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "corp.example",
           "lists.example.org", "uni.example", "shop.example", "bank.example", "dev.test",
           "mx.example.net", "example.co.example", "post.example", "cloud.example"]
MAILERS = ["Microsoft Outlook 16.0", "Apple Mail (2.3654.120.0.1.13)", "Mozilla Thunderbird",
           "Roundcube Webmail/1.6.5", "Mutt/2.2.9 (2022-11-12)", "Evolution 3.46.4",
           "Claws Mail 4.1.1 (GTK 3.24.36; x86_64-pc-linux-gnu)", "K-9 Mail for Android",
           "Gnus/5.13 (Gnus v5.13)", "Microsoft Outlook Express 6.00.2900.5512"]
LIST_NAMES = ["dev", "announce", "users", "ops", "security", "general", "hr", "sales"]
ZONES = [("+0000", 0), ("-0500", -18000), ("-0400", -14400), ("-0800", -28800),
         ("-0700", -25200), ("+0100", 3600), ("+0200", 7200), ("+0300", 10800),
         ("+0530", 19800), ("+0800", 28800), ("+0900", 32400), ("+1000", 36000),
         ("-0300", -10800), ("+0000", 0)]
OBS_ZONES = [("GMT", 0), ("UT", 0), ("EST", -18000), ("EDT", -14400), ("PST", -28800),
             ("CET", 3600)]
ZONE_COMMENTS = {"+0000": "UTC", "-0500": "EST", "-0400": "EDT", "-0800": "PST",
                 "-0700": "PDT", "+0100": "CET", "+0200": "CEST", "+0300": "MSK",
                 "+0900": "JST"}
WDAY = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTH = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
START_TIME = 1451606400  # 2016-01-01 00:00:00 UTC
END_TIME = 1735603200    # 2024-12-31 00:00:00 UTC

ATTACHMENTS = [
    # (weight, content type, extension, magic prefix)
    (20, "application/pdf", "pdf", b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"),
    (15, "image/jpeg", "jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"),
    (12, "image/png", "png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    (10, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
     b"PK\x03\x04\x14\x00\x06\x00"),
    (8, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
     b"PK\x03\x04\x14\x00\x06\x00"),
    (5, "application/zip", "zip", b"PK\x03\x04\n\x00\x00\x00"),
    (4, "application/octet-stream", "bin", b""),
    (3, "application/msword", "doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    (3, "image/gif", "gif", b"GIF89a"),
]
FILE_WORDS = ["report", "invoice", "scan", "photo", "slides", "contract", "minutes", "budget",
              "Übersicht", "résumé", "отчёт", "报告", "IMG", "draft", "final", "notes"]

# mboxrd quoting, the same rule as tests/e2e/mail_corpus.py's write_mbox() (duplicated here so
# that bench/ imports nothing from tests/): every line matching /^>*From / gets one more ">".
MBOXRD_QUOTE = re.compile(rb"^(>*From )", re.MULTILINE)


def log_normal(rng, median, sigma, low, high):
    return int(min(high, max(low, median * math.exp(rng.gauss(0.0, sigma)))))


def weighted(rng, items, weights):
    return rng.choices(items, weights)[0]


# ---------------------------------------------------------------------------------------------
# Encoded words (RFC 2047) and headers

Q_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")


def encoded_words(text, charset, encoding):
    """`text` as RFC 2047 encoded words of at most 75 characters, joined by folding spaces."""
    words = []
    prefix = f"=?{charset}?{encoding}?"
    budget = 75 - len(prefix) - 2
    chunk = []
    size = 0
    for ch in text:
        raw = ch.encode(charset)
        if encoding == "B":
            cost = len(raw) * 4 / 3
        else:
            cost = sum(1 if b in Q_SAFE or b == 32 else 3 for b in raw)
        if chunk and size + cost > budget - 4:
            words.append(chunk)
            chunk, size = [], 0
        chunk.append(raw)
        size += cost
    if chunk:
        words.append(chunk)
    out = []
    for chunk in words:
        raw = b"".join(chunk)
        if encoding == "B":
            body = base64.b64encode(raw).decode("ascii")
        else:
            body = "".join("_" if b == 32 else chr(b) if b in Q_SAFE else f"={b:02X}"
                           for b in raw)
        out.append(prefix + body + "?=")
    return "\n ".join(out)


def header_text(rng, text, lang):
    """An unstructured header value: ASCII as is, otherwise RFC 2047 (rarely raw UTF-8)."""
    if text.isascii():
        return text
    r = rng.random()
    if r < 0.02:
        return text  # raw 8-bit UTF-8 header (RFC 6532, or just broken)
    charsets = ["utf-8"]
    if lang in ("de", "fr", "es"):
        charsets.append("iso-8859-1")
    elif lang == "ru":
        charsets.append("koi8-r")
    charset = rng.choice(charsets)
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    encoding = "Q" if lang in ("de", "fr", "es") and rng.random() < 0.6 else "B"
    return encoded_words(text, charset, encoding)


def fold_list(name, items, sep=","):
    """`Name: a, b, c` folded before items so that lines stay under 78 characters."""
    line = name + ": "
    lines = []
    for i, item in enumerate(items):
        piece = item + (sep if i + 1 < len(items) else "")
        if len(line) + len(piece) > 77 and line.strip() != name + ":":
            lines.append(line.rstrip())
            line = "\t"
        line += piece + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def format_date(rng, t):
    r = rng.random()
    if r < 0.03:
        zone, offset = rng.choice(OBS_ZONES)
    else:
        zone, offset = rng.choice(ZONES)
    tm = time.gmtime(t + offset)
    day = f"{tm.tm_mday:02d}" if rng.random() < 0.8 else str(tm.tm_mday)
    date = f"{day} {MONTH[tm.tm_mon - 1]} {tm.tm_year} {tm.tm_hour:02d}:{tm.tm_min:02d}"
    date += f":{tm.tm_sec:02d} {zone}" if r < 0.03 or rng.random() < 0.97 else f" {zone}"
    if rng.random() < 0.93:
        date = f"{WDAY[tm.tm_wday]}, {date}"
    if zone in ZONE_COMMENTS and rng.random() < 0.25:
        date += f" ({ZONE_COMMENTS[zone]})"
    return date


def asctime(t):
    tm = time.gmtime(t)
    return (f"{WDAY[tm.tm_wday]} {MONTH[tm.tm_mon - 1]} {tm.tm_mday:2d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {tm.tm_year}")


# ---------------------------------------------------------------------------------------------
# The generator


class Person:
    __slots__ = ("name", "addr", "lang")

    def __init__(self, name, addr, lang):
        self.name, self.addr, self.lang = name, addr, lang


class Generator:
    TEXT_POOL = {"en": 3_000_000, "de": 400_000, "fr": 400_000, "es": 300_000,
                 "ru": 400_000, "zh": 300_000}

    def __init__(self, seed):
        self.rng = random.Random(seed)
        rng = self.rng
        self.lang_names = list(LANGS)
        self.lang_weights = [LANGS[name][1] for name in self.lang_names]
        self.pools = {lang: self.make_pool(lang, size) for lang, size in self.TEXT_POOL.items()}
        self.random_bytes = rng.randbytes(3_000_000)
        self.people = [self.make_person(i) for i in range(4000)]
        self.threads = []          # [subject, lang, [message ids], last time, [people]]
        self.ids = 0

    # --- text ---------------------------------------------------------------------------------

    def sentence(self, lang):
        rng = self.rng
        words, _, _, joiner = LANGS[lang]
        picked = rng.choices(words, k=rng.randint(3, 16))
        first = picked[0]
        picked[0] = first[:1].upper() + first[1:]
        end = rng.choices(".?!:", (20, 3, 1, 1))[0]
        if lang == "zh":
            end = rng.choice("。？！")
        return joiner.join(picked) + end

    def make_pool(self, lang, size):
        """Paragraphs of wrapped lines (72 columns), separated by blank lines."""
        rng = self.rng
        paragraphs = []
        total = 0
        width = 36 if lang == "zh" else 72
        while total < size:
            text = " ".join(self.sentence(lang) for _ in range(rng.randint(1, 7)))
            lines, line = [], ""
            for word in text.split(" "):
                if line and len(line) + 1 + len(word) > width:
                    lines.append(line)
                    line = word
                else:
                    line = f"{line} {word}" if line else word
            lines.append(line)
            paragraph = "\n".join(lines)
            paragraphs.append(paragraph)
            total += len(paragraph) + 2
        return "\n\n".join(paragraphs) + "\n"

    def text(self, lang, size):
        """About `size` characters of whole paragraphs, ending with a newline."""
        pool = self.pools[lang]
        size = min(size, len(pool) // 2)
        start = self.rng.randrange(0, len(pool) - size - 1)
        start = pool.find("\n\n", start)
        start = 0 if start < 0 else start + 2
        end = pool.find("\n", start + size)
        return pool[start:end + 1] if end > 0 else pool[start:]

    # --- people ---------------------------------------------------------------------------------

    def make_person(self, i):
        rng = self.rng
        lang = weighted(rng, self.lang_names, self.lang_weights)
        first, last = rng.choice(FIRST_NAMES[lang]), rng.choice(LAST_NAMES[lang])
        if lang == "zh":
            name = last + first
            local = f"user{i}"
        else:
            name = f"{first} {last}"
            if lang == "ru":
                local = "".join(RU_TRANSLIT.get(c, c) for c in f"{first}.{last}".lower())
                local = local.replace("_", "")
            else:
                local = f"{first}.{last}".translate(TRANSLIT).lower()
            local = rng.choice([local, local.split(".")[0][:1] + local.split(".")[-1],
                                local + str(i % 97), local.replace(".", "_")])
        return Person(name, f"{local}@{rng.choice(DOMAINS)}", lang)

    def mailbox(self, person):
        """One address as it appears in a header."""
        rng = self.rng
        r = rng.random()
        if r < 0.12:
            return person.addr
        if person.name.isascii():
            if r < 0.2:
                return f'"{person.name.split()[-1]}, {person.name.split()[0]}" <{person.addr}>'
            return f"{person.name} <{person.addr}>"
        if r < 0.16:
            return f"{person.name} <{person.addr}>"  # raw UTF-8
        return f"{header_text(rng, person.name, person.lang)} <{person.addr}>"

    # --- bodies ---------------------------------------------------------------------------------

    def text_body_size(self):
        return log_normal(self.rng, 1000, 1.05, 60, 100_000)

    def plain_text(self, lang, sender, reply_to=None, size=None):
        """The text of a message: greeting, paragraphs, maybe "From " lines, quote, signature."""
        rng = self.rng
        size = self.text_body_size() if size is None else size
        parts = []
        if rng.random() < 0.7:
            greeting = {"en": "Hi", "de": "Hallo", "fr": "Bonjour", "es": "Hola",
                        "ru": "Привет", "zh": "你好"}[lang]
            parts.append(f"{greeting} {rng.choice(FIRST_NAMES[lang])},\n\n")
        body = self.text(lang, size)
        r = rng.random()
        if r < 0.04:
            # A paragraph starting with "From " (quoted as ">From " in the mbox).
            cut = body.find("\n\n", len(body) // 3)
            line = rng.choice(["From the minutes of the last meeting:",
                               "From what I can tell, the numbers look fine.",
                               "From: " + sender.addr, "From here on it is your call.",
                               "From " + sender.addr + " " + asctime(START_TIME)])
            if cut > 0:
                body = body[:cut + 2] + line + "\n" + body[cut + 2:]
            else:
                body = line + "\n" + body
        elif r < 0.05:
            body += "\n>From an old mailbox that was munged the mboxo way.\n"
        parts.append(body)
        if reply_to is not None:
            quoted = self.text(lang, log_normal(rng, 600, 0.8, 80, 20_000))
            parts.append(f"\nOn {format_date(rng, reply_to)}, {rng.choice(self.people).name}"
                         " wrote:\n> " + quoted[:-1].replace("\n", "\n> ") + "\n")
        if rng.random() < 0.6:
            parts.append(f"\n-- \n{sender.name}\n{rng.choice(MAILERS).split()[0]} team\n")
        return "".join(parts)

    def encode_charset(self, text, lang):
        """(charset, bytes): `text` in one of its language's charsets (utf-8 if it does not fit,
        e.g. a quoted name from another language)."""
        charset = self.rng.choice(LANGS[lang][2])
        try:
            return charset, text.encode(charset)
        except UnicodeEncodeError:
            return "utf-8", text.encode("utf-8")

    def encode_text(self, text, lang, allow_base64=True):
        """(charset, transfer encoding, encoded body) for a text part."""
        rng = self.rng
        charset, data = self.encode_charset(text, lang)
        if data.isascii():
            if rng.random() < 0.08:
                return charset, "quoted-printable", binascii.b2a_qp(data)
            return charset, "7bit", data
        r = rng.random()
        if r < 0.45:
            return charset, "8bit", data
        if r < 0.85 or not allow_base64:
            return charset, "quoted-printable", binascii.b2a_qp(data)
        return charset, "base64", base64.encodebytes(data)

    def text_part(self, text, lang, subtype="plain", allow_base64=True, extra=""):
        charset, cte, data = self.encode_text(text, lang, allow_base64)
        head = (f'Content-Type: text/{subtype}; charset="{charset}"{extra}\n'
                f"Content-Transfer-Encoding: {cte}\n\n")
        return head.encode("ascii") + data

    def html_of(self, text, lang):
        body = text.replace("\n\n", "\0").replace("\n", " ").replace("\0", "</p>\n<p>")
        style = self.rng.choice(['font-family: Arial, sans-serif; font-size: 11pt;',
                                 'font-family: Calibri, sans-serif; color: #1f497d;', ''])
        return (f'<html><head><meta http-equiv="Content-Type" content="text/html; '
                f'charset=utf-8"></head><body><div dir="ltr" style="{style}">\n<p>{body}</p>\n'
                f"</div></body></html>\n")

    def html_part(self, text, lang):
        rng = self.rng
        html = self.html_of(text, lang)
        charset, data = self.encode_charset(html, lang)
        cte = "quoted-printable" if rng.random() < 0.75 else "base64"
        data = binascii.b2a_qp(data) if cte == "quoted-printable" else base64.encodebytes(data)
        return (f'Content-Type: text/html; charset="{charset}"\n'
                f"Content-Transfer-Encoding: {cte}\n\n").encode("ascii") + data

    def boundary(self):
        rng = self.rng
        n = rng.getrandbits(64)
        return rng.choice([f"----=_Part_{n % 999999}_{n >> 20}.{rng.getrandbits(40)}",
                           f"=_{n:016x}", f"Apple-Mail={n:016X}-{rng.getrandbits(32):08X}",
                           f"_000_{n:x}EXCH_", f"b1_{n:032x}",
                           f"------------{n % 10**24:024d}"])

    def multipart(self, subtype, parts, params=""):
        b = self.boundary()
        bb = b.encode("ascii")
        out = [f'Content-Type: multipart/{subtype};{params}\n\tboundary="{b}"\n\n'.encode()]
        if self.rng.random() < 0.5:
            out.append(b"This is a multi-part message in MIME format.\n")
        for part in parts:
            out.append(b"\n--" + bb + b"\n")
            out.append(part)
            if not part.endswith(b"\n"):
                out.append(b"\n")
        out.append(b"\n--" + bb + b"--\n")
        return b"".join(out)

    def filename(self, ext):
        rng = self.rng
        word = rng.choice(FILE_WORDS)
        name = f"{word}_{rng.randint(1, 2024)}.{ext}" if rng.random() < 0.7 else f"{word}.{ext}"
        if name.isascii():
            return f'; name="{name}"', f'; filename="{name}"'
        if rng.random() < 0.5:  # RFC 2231
            quoted = "".join(c if c.isascii() and c.isalnum() or c in "._-" else
                             "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in name)
            return f"; name*=utf-8''{quoted}", f"; filename*=utf-8''{quoted}"
        encoded = encoded_words(name, "utf-8", "B").replace("\n ", "")
        return f'; name="{encoded}"', f'; filename="{encoded}"'

    def attachment(self):
        rng = self.rng
        r = rng.random()
        if r < 0.15:  # text attachment: csv, log, patch
            ext, ctype = rng.choice([("csv", "text/csv"), ("txt", "text/plain"),
                                     ("log", "text/plain"), ("patch", "text/x-diff")])
            text = self.text("en", log_normal(rng, 4000, 1.0, 100, 200_000))
            if ext == "csv":
                text = text.replace(" ", ";")
            name, fname = self.filename(ext)
            return (f'Content-Type: {ctype}; charset="us-ascii"{name}\n'
                    f"Content-Disposition: attachment{fname}\n"
                    f"Content-Transfer-Encoding: 7bit\n\n{text}").encode("utf-8")
        if r < 0.18:  # calendar invitation
            t = rng.randrange(START_TIME, END_TIME)
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
            ics = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example//Calendar//EN\n"
                   f"METHOD:REQUEST\nBEGIN:VEVENT\nUID:{rng.getrandbits(64):x}@example.com\n"
                   f"DTSTART:{stamp}\nDTEND:{stamp}\nSUMMARY:{self.sentence('en')}\n"
                   "END:VEVENT\nEND:VCALENDAR\n")
            return ('Content-Type: text/calendar; charset="utf-8"; method=REQUEST\n'
                    'Content-Disposition: attachment; filename="invite.ics"\n'
                    f"Content-Transfer-Encoding: 7bit\n\n{ics}").encode("ascii")
        _, ctype, ext, magic = rng.choices(ATTACHMENTS, [a[0] for a in ATTACHMENTS])[0]
        if rng.random() < 0.003:
            size = rng.randint(200_000, 1_000_000)  # the rare big one
        else:
            size = log_normal(rng, 5_000, 1.3, 300, 1_000_000)
        start = rng.randrange(0, len(self.random_bytes) - size)
        data = magic + self.random_bytes[start:start + size]
        name, fname = self.filename(ext)
        disposition = "inline" if ctype.startswith("image/") and rng.random() < 0.3 else \
            "attachment"
        return (f"Content-Type: {ctype}{name}\n"
                f"Content-Disposition: {disposition}{fname}\n"
                "Content-Transfer-Encoding: base64\n\n").encode("utf-8") + \
            base64.encodebytes(data)

    # --- messages -------------------------------------------------------------------------------

    def message_id(self, domain):
        self.ids += 1
        rng = self.rng
        style = rng.randrange(4)
        if style == 0:
            return f"<{self.ids:x}.{rng.getrandbits(48):012x}@{domain}>"
        if style == 1:
            return f"<CA+{base64.b32encode(rng.randbytes(20)).decode()}@mail.{domain}>"
        if style == 2:
            return (f"<{rng.getrandbits(32):08X}-{rng.getrandbits(16):04X}-"
                    f"{rng.getrandbits(16):04X}-{self.ids:012X}@{domain}>")
        return f"<{self.ids}.{rng.getrandbits(30)}.JavaMail.mail@{domain}>"

    def received(self, t, rcpt):
        rng = self.rng
        lines = []
        for hop in range(rng.choices((0, 1, 2, 3, 4, 6), (5, 20, 30, 25, 15, 5))[0]):
            ip = f"192.0.2.{rng.randint(1, 254)}" if hop % 2 else \
                f"198.51.100.{rng.randint(1, 254)}"
            host = f"mx{rng.randint(1, 9)}.{rng.choice(DOMAINS)}"
            lines.append(f"Received: from {host} ({host} [{ip}])\n"
                         f"\tby mail.{rng.choice(DOMAINS)} (Postfix) with "
                         f"{rng.choice(['ESMTPS', 'ESMTP', 'SMTP', 'LMTP'])} id "
                         f"{rng.getrandbits(40):010X}\n\tfor <{rcpt}>; "
                         f"{format_date(rng, t - hop * rng.randint(1, 30))}\n")
        return "".join(lines)

    def dkim(self, domain):
        rng = self.rng
        sig = base64.b64encode(rng.randbytes(128)).decode()
        bh = base64.b64encode(rng.randbytes(32)).decode()
        return (f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain};\n"
                f"\ts=selector{rng.randint(1, 3)}; t={rng.getrandbits(31)};\n"
                "\th=from:to:subject:date:message-id:mime-version;\n"
                f"\tbh={bh};\n\tb={sig[:70]}\n\t {sig[70:]}\n")

    def subject(self, lang):
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            return f"Invoice #{rng.randint(10000, 99999)}"
        if r < 0.15:
            return f"[{rng.choice(LIST_NAMES)}] {self.sentence(lang)[:-1]}"
        if r < 0.2:
            day = time.gmtime(rng.randrange(START_TIME, END_TIME))
            return f"Meeting notes {time.strftime('%Y-%m-%d', day)}"
        s = self.sentence(lang)
        return s[:-1] if rng.random() < 0.7 else s

    def pick_recipients(self, n):
        return self.rng.sample(self.people, n)

    def make_body(self, now, lang, sender, reply_to, subject, depth):
        """(top-level content headers + body) as bytes, and a short kind name."""
        rng = self.rng
        r = rng.random()
        if depth > 0:
            r *= 0.81  # inside a forward: no forwards, reports, ...
        if r < 0.42:
            return self.text_part(self.plain_text(lang, sender, reply_to), lang), "plain"
        if r < 0.68:
            text = self.plain_text(lang, sender, reply_to)
            parts = [self.text_part(text, lang, allow_base64=False), self.html_part(text, lang)]
            if rng.random() < 0.02:
                parts.append(self.attachment_calendar_inline())
            return self.multipart("alternative", parts), "alternative"
        if r < 0.72:  # html-only newsletter
            text = self.text(lang, log_normal(rng, 3500, 0.7, 500, 80_000))
            return self.html_part(text, lang), "html"
        if r < 0.81:  # attachments
            text = self.plain_text(lang, sender, reply_to, size=log_normal(rng, 600, 0.9, 40,
                                                                            20_000))
            first = self.text_part(text, lang) if rng.random() < 0.5 else self.multipart(
                "alternative", [self.text_part(text, lang, allow_base64=False),
                                self.html_part(text, lang)])
            n = rng.choices((1, 2, 3, 5), (70, 20, 8, 2))[0]
            return self.multipart("mixed", [first] + [self.attachment() for _ in range(n)]), \
                "mixed"
        if r < 0.85 and depth < 2:  # forward as message/rfc822
            inner, _, _ = self.message(now, depth + 1)
            note = self.plain_text(lang, sender, size=log_normal(rng, 200, 0.8, 20, 3000))
            disposition = rng.choice(["inline", "attachment"])
            part = (f"Content-Type: message/rfc822\nContent-Disposition: {disposition}\n\n"
                    ).encode("ascii") + inner
            return self.multipart("mixed", [self.text_part(note, lang), part]), "forward"
        if r < 0.87 and depth < 2:  # inline forward
            inner_sender = rng.choice(self.people)
            fwd = (f"\n---------- Forwarded message ---------\nFrom: {inner_sender.name} "
                   f"<{inner_sender.addr}>\nDate: {format_date(rng, now - 86400)}\n"
                   f"Subject: {subject}\n\n{self.plain_text(lang, inner_sender)}")
            return self.text_part(self.plain_text(lang, sender, size=200) + fwd, lang), \
                "forward-inline"
        if r < 0.90:  # multipart/related: html with an inline image
            text = self.plain_text(lang, sender, reply_to)
            cid = f"image{rng.randint(1, 999)}@{rng.getrandbits(32):08x}"
            html = self.html_of(text, lang).replace(
                "</div>", f'<img src="cid:{cid}" alt="logo"></div>')
            size = log_normal(rng, 3000, 0.8, 200, 200_000)
            start = rng.randrange(0, len(self.random_bytes) - size)
            image = (f"Content-Type: image/png; name=\"logo.png\"\nContent-ID: <{cid}>\n"
                     "Content-Disposition: inline; filename=\"logo.png\"\n"
                     "Content-Transfer-Encoding: base64\n\n").encode("ascii") + \
                base64.encodebytes(b"\x89PNG\r\n\x1a\n" + self.random_bytes[start:start + size])
            html_part = (b'Content-Type: text/html; charset="utf-8"\n'
                         b"Content-Transfer-Encoding: quoted-printable\n\n" +
                         binascii.b2a_qp(html.encode("utf-8")))
            alt = self.multipart("alternative", [self.text_part(text, lang, allow_base64=False),
                                                 html_part])
            return self.multipart("related", [alt, image], ' type="multipart/alternative";'), \
                "related"
        if r < 0.93:  # signed
            text = self.plain_text(lang, sender, reply_to)
            sig = base64.encodebytes(rng.randbytes(rng.choice((310, 566)))).decode()
            signature = ("Content-Type: application/pgp-signature; name=\"signature.asc\"\n"
                         "Content-Description: OpenPGP digital signature\n\n"
                         f"-----BEGIN PGP SIGNATURE-----\n\n{sig}=abcd\n"
                         "-----END PGP SIGNATURE-----\n").encode("ascii")
            return self.multipart("signed", [self.text_part(text, lang, allow_base64=False),
                                             signature],
                                  ' micalg=pgp-sha256; protocol="application/pgp-signature";'), \
                "signed"
        if r < 0.94:  # bounce
            rcpt = rng.choice(self.people).addr
            human = (f"This is the mail system at host mail.{rng.choice(DOMAINS)}.\n\n"
                     "I'm sorry to have to inform you that your message could not\n"
                     "be delivered to one or more recipients.\n\n"
                     f"<{rcpt}>: host mx.{rcpt.split('@')[1]} said: 550 5.1.1 User unknown\n")
            status = (f"Reporting-MTA: dns; mail.{rng.choice(DOMAINS)}\n\n"
                      f"Final-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: 5.1.1\n"
                      f"Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: User unknown\n")
            inner = self.message(now, depth + 1)[0] if depth < 2 else b"Subject: x\n\nx\n"
            headers = inner.split(b"\n\n", 1)[0] + b"\n"
            return self.multipart("report", [
                f'Content-Type: text/plain; charset="us-ascii"\n\n{human}'.encode("ascii"),
                f"Content-Type: message/delivery-status\n\n{status}".encode("ascii"),
                b"Content-Type: text/rfc822-headers\n\n" + headers,
            ], " report-type=delivery-status;"), "bounce"
        # plain text, big or odd
        text = self.plain_text(lang, sender, reply_to, size=log_normal(rng, 6000, 1.0, 100,
                                                                        100_000))
        if rng.random() < 0.1:
            text += "x" * rng.randint(1000, 5000) + "\n"  # an overlong line
        return self.text_part(text, lang), "plain"

    def attachment_calendar_inline(self):
        return (b'Content-Type: text/calendar; charset="utf-8"; method=REQUEST\n'
                b"Content-Transfer-Encoding: 7bit\n\nBEGIN:VCALENDAR\nVERSION:2.0\n"
                b"BEGIN:VEVENT\nSUMMARY:Sync\nEND:VEVENT\nEND:VCALENDAR\n")

    def message(self, now, depth=0):
        """(message bytes, envelope sender, time): a message written at about `now` (depth 0) or
        earlier (depth > 0: a message inside another one)."""
        rng = self.rng
        reply_to_time = None
        thread = None
        if depth == 0 and self.threads and rng.random() < 0.4:
            # A reply: mostly to recent threads.
            k = min(len(self.threads), 3000)
            thread = self.threads[-1 - min(k - 1, int(rng.expovariate(1 / 200)))]
            lang = thread[1]
            sender = rng.choice(thread[4]) if rng.random() < 0.7 else rng.choice(self.people)
            t = max(now, thread[3] + rng.randint(60, 3 * 86400))
            reply_to_time = thread[3]
            prefix = rng.choices(["Re: ", "RE: ", "Re: Re: ", "AW: ", "Fwd: ", "Re[2]: "],
                                 (70, 15, 4, 4, 4, 3))[0]
            subject = prefix + thread[0]
        else:
            lang = weighted(rng, self.lang_names, self.lang_weights)
            sender = rng.choice(self.people)
            t = now if depth == 0 else now - rng.randint(3600, 90 * 86400)
            subject = self.subject(lang)
        n_to = rng.choices((1, 2, 3, 5, 8, 15, 40), (60, 15, 10, 7, 4, 3, 1))[0]
        to = self.pick_recipients(n_to)
        cc = self.pick_recipients(rng.choices((1, 2, 4, 10), (50, 25, 18, 7))[0]) \
            if rng.random() < 0.3 else []
        domain = sender.addr.split("@")[1]
        msgid = self.message_id(domain)

        h = []
        if depth == 0:
            h.append(f"Return-Path: <{sender.addr}>\n")
            if rng.random() < 0.3:
                h.append(f"Delivered-To: {to[0].addr}\n")
            h.append(self.received(t, to[0].addr))
            if rng.random() < 0.3:
                h.append(self.dkim(domain))
        fields = [
            f"Date: {format_date(rng, t)}\n",
            f"From: {self.mailbox(sender)}\n",
            fold_list("To", [self.mailbox(p) for p in to]) + "\n",
        ]
        if cc:
            fields.append(fold_list("Cc", [self.mailbox(p) for p in cc]) + "\n")
        fields.append(f"Subject: {header_text(rng, subject, lang)}\n")
        fields.append(f"Message-ID: {msgid}\n")
        if thread is not None:
            ids = thread[2]
            parent = ids[-1] if rng.random() < 0.8 else rng.choice(ids)
            fields.append(f"In-Reply-To: {parent}\n")
            if rng.random() < 0.9:
                refs = ids[:1] + ids[-9:] if len(ids) > 10 else ids
                fields.append(fold_list("References", refs, sep="") + "\n")
        if rng.random() < 0.6:
            fields.append(f"{rng.choice(['X-Mailer', 'User-Agent'])}: {rng.choice(MAILERS)}\n")
        if rng.random() < 0.1:
            fields.append(f"Reply-To: {self.mailbox(rng.choice(self.people))}\n")
        if rng.random() < 0.08:
            name = rng.choice(LIST_NAMES)
            fields.append(f"List-Id: {name.title()} list <{name}.lists.example.org>\n"
                          f"List-Unsubscribe: <mailto:{name}-leave@lists.example.org>\n"
                          "Precedence: list\n")
        if rng.random() < 0.05:
            fields.append("X-Priority: 1 (Highest)\nImportance: High\n")
        if rng.random() < 0.1:
            rng.shuffle(fields)
        h.extend(fields)
        h.append("MIME-Version: 1.0\n" if rng.random() < 0.97 else "Mime-Version: 1.0\n")

        body, _ = self.make_body(t, lang, sender, reply_to_time, subject, depth)

        if depth == 0:
            if thread is not None:
                thread[2].append(msgid)
                thread[3] = t
                if sender not in thread[4]:
                    thread[4].append(sender)
            else:
                self.threads.append([subject, lang, [msgid], t, [sender] + to[:3]])
                if len(self.threads) > 20000:
                    del self.threads[:10000]
        return "".join(h).encode("utf-8") + body, sender.addr, t

    def run(self, out, count):
        rng = self.rng
        total = 0
        span = END_TIME - START_TIME
        for i in range(count):
            now = START_TIME + span * i // count + rng.randint(0, 6 * 3600)
            data, sender, t = self.message(now)
            data = MBOXRD_QUOTE.sub(rb">\1", data)
            chunk = b"".join((b"From ", sender.encode("ascii"), b" ",
                              asctime(t).encode("ascii"), b"\n", data,
                              b"" if data.endswith(b"\n") else b"\n", b"\n"))
            out.write(chunk)
            total += len(chunk)
        return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="the mbox file to write")
    parser.add_argument("--count", type=int, default=100_000, help="messages (100000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = parser.parse_args()
    started = time.monotonic()
    gen = Generator(args.seed)
    with open(args.out, "wb", buffering=4 << 20) as out:
        total = gen.run(out, args.count)
    print(f"{args.out}: {args.count} messages, {total} bytes, "
          f"{time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
