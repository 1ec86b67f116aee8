"""Held-out synthetic world in Twitter's Information Operations archive format.

    python bench/heldout_world.py --accounts 5000 --tweets 500000 --seed 1 --out DIR
    python bench/heldout_world.py --seed 2 --out DIR --minute-only --knob timing=4 --knob trait_strength=0.3
    python bench/heldout_world.py --list-knobs

Writes ``DIR/users.csv`` (10 columns), ``DIR/tweets.csv`` (31 columns), ``DIR/truth.csv``
(``userid,label,group,tactic``) and ``DIR/world.json`` (what each operation got: size, tactic,
traits and their degree, timing). Same arguments -> byte-identical files.

This generator is written independently of ``cibscope.generate`` and of the detection code
(it was designed from the task description and the public archive format only), so that
detection can be measured on operations it was not tuned on. Only numpy and pyarrow are used.

The world: ordinary users in thirteen regions (time zones, languages, clients, heavy-tailed
activity, trending hashtags, news links, replies, quotes, retweets of whatever was recently
posted in their region), celebrities, news outlets, accounts outside the data that get
retweeted, six operations (copy-paste talking points, scheduled hashtag campaigns, repurposed
old accounts, slow personas, retweet rings, link farms), each with quiet members and camouflage
activity, and four kinds of organic look-alikes (fan clubs, activists, news sharers, news bots).
Account-level traits of operations (batch creation, a shared automation client, a foreign time
zone's office hours, low engagement for their followers, templated bios) are switched on per
operation at random and in a random degree. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

SECOND = 1_000
MINUTE = 60_000
HOUR = 3_600_000
DAY = 86_400_000
SNOWFLAKE_EPOCH = 1_288_834_974_657

USERS_COLUMNS = [
    "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count",
    "account_creation_date", "account_language",
]
TWEETS_COLUMNS = [
    "tweetid", *USERS_COLUMNS, "tweet_language", "tweet_text", "tweet_time", "tweet_client_name",
    "in_reply_to_userid", "in_reply_to_tweetid", "quoted_tweet_tweetid", "is_retweet",
    "retweet_userid", "retweet_tweetid", "latitude", "longitude", "quote_count", "reply_count",
    "like_count", "retweet_count", "hashtags", "urls", "user_mentions", "poll_choices",
]

# name -> (default, help). None = drawn per operation / per seed.
KNOBS: dict[str, tuple[float | None, str]] = {
    "op_size_min": (40, "smallest operation (accounts)"),
    "op_size_max": (150, "largest operation (accounts)"),
    "quiet_share": (None, "share of an operation's members that join few actions (default: U(0.1, 0.35) per op)"),
    "quiet_rate": (None, "participation of a quiet member relative to an active one (default: U(0.03, 0.2) per member)"),
    "participation": (None, "chance an active member joins one coordinated action (default: per op, U(0.3, 0.8); slow personas U(0.15, 0.4))"),
    "timing": (1.0, "multiplier on every operation's member delay (higher = looser)"),
    "op_delay_s": (None, "median member delay in seconds, the same for every operation (overrides the per-op draw)"),
    "trait_prob": (0.5, "scales the chance each account-level trait is present in an operation (0 = no traits)"),
    "trait_strength": (1.0, "scales the degree of a present trait (share of members / of actions showing it)"),
    "camouflage": (None, "share of an op member's tweets that are ordinary-looking (default: per op U(0.15, 0.6); personas U(0.6, 0.85))"),
    "actions": (1.0, "multiplier on the coordinated actions per op member"),
    "cohesion": (0.5, "organic look-alike cohesion, 0..1 (fans' and activists' participation and speed, share-button and slogan copies, news-bot feed overlap)"),
    "lookalike_scale": (1.0, "multiplier on the sizes of the organic look-alike communities"),
    "days": (90, "length of the observed window in days"),
    "minute_only": (0, "1 = tweet ids are not snowflakes: only minute-precision tweet_time is known"),
}

UNIT_KNOBS = {"quiet_share", "quiet_rate", "participation", "camouflage", "cohesion", "minute_only"}
TACTICS = ["copy_paste", "hashtag_campaign", "repurposed", "slow_persona", "retweet_ring", "link_farm"]
LOOKALIKES = ["hn_fan_club", "hn_activist", "hn_news_sharer", "hn_news_bot"]
TRAITS = ["batch_creation", "automation_client", "office_hours", "low_engagement", "templated_bio"]
# chance a trait is present per tactic at trait_prob = 0.5 (scaled linearly, capped at 1)
TRAIT_PRIOR = {
    "copy_paste": (0.6, 0.5, 0.6, 0.5, 0.5),
    "hashtag_campaign": (0.6, 0.8, 0.6, 0.5, 0.5),
    "repurposed": (0.0, 0.4, 0.5, 0.5, 0.4),
    "slow_persona": (0.2, 0.1, 0.3, 0.2, 0.1),
    "retweet_ring": (0.6, 0.6, 0.5, 0.6, 0.5),
    "link_farm": (0.5, 0.7, 0.5, 0.5, 0.5),
}
# default median member delay (seconds): log-uniform between these, per op
DELAY_RANGE = {
    "copy_paste": (60, 3 * 3600), "hashtag_campaign": (5, 600), "repurposed": (300, 6 * 3600),
    "slow_persona": (3600, 24 * 3600), "retweet_ring": (20, 1800), "link_farm": (120, 3 * 3600),
}

# --------------------------------------------------------------------------------------------
# regions, languages, clients

# name, time zones (hours), tweet language, account languages, base weight, locations
REGIONS = [
    ("us", (-5, -6, -7, -8), "en", ("en",), 0.24,
     ["New York, NY", "Los Angeles, CA", "Texas, USA", "Chicago, IL", "Florida", "USA", "Atlanta, GA",
      "Seattle, WA", "Ohio, USA", "California, USA", "Boston, MA", "Denver, CO"]),
    ("uk", (0,), "en", ("en", "en-gb"), 0.07,
     ["London", "London, England", "Manchester", "United Kingdom", "Glasgow, Scotland", "Bristol", "Leeds"]),
    ("in", (5.5,), "en", ("en", "hi"), 0.07, ["Mumbai, India", "New Delhi", "Bengaluru", "India", "Chennai", "Kolkata"]),
    ("es", (1,), "es", ("es",), 0.06, ["Madrid", "Barcelona, España", "Sevilla", "España", "Valencia"]),
    ("latam", (-3, -5, -6), "es", ("es",), 0.10,
     ["Ciudad de México", "Buenos Aires, Argentina", "Bogotá, Colombia", "Lima, Perú", "Santiago, Chile", "Caracas"]),
    ("br", (-3,), "pt", ("pt",), 0.08, ["São Paulo, Brasil", "Rio de Janeiro", "Brasil", "Belo Horizonte", "Recife"]),
    ("fr", (1,), "fr", ("fr",), 0.05, ["Paris, France", "Lyon", "Marseille", "France", "Bordeaux"]),
    ("de", (1,), "de", ("de",), 0.04, ["Berlin", "München", "Hamburg, Deutschland", "Köln", "Deutschland"]),
    ("ru", (3,), "ru", ("ru",), 0.05, ["Москва", "Санкт-Петербург", "Россия", "Moscow", "Казань"]),
    ("gulf", (3, 4), "ar", ("ar", "en"), 0.07, ["الرياض", "دبي", "Riyadh", "جدة", "الكويت", "Dubai, UAE"]),
    ("jp", (9,), "ja", ("ja",), 0.08, ["東京", "大阪", "日本", "Tokyo", "福岡", "名古屋"]),
    ("hk", (8,), "zh", ("zh-tw", "zh-cn", "en", "zh-hk"), 0.04, ["香港", "Hong Kong", "九龍", "新界", "台北", "台灣"]),
    ("id", (7,), "in", ("id", "en"), 0.05, ["Jakarta", "Indonesia", "Surabaya", "Bandung", "Yogyakarta"]),
]
REGION_INDEX = {r[0]: i for i, r in enumerate(REGIONS)}

MOBILE = {  # Android share of mobile, per region
    "us": 0.35, "uk": 0.4, "in": 0.85, "es": 0.6, "latam": 0.7, "br": 0.75, "fr": 0.5, "de": 0.5,
    "ru": 0.6, "gulf": 0.45, "jp": 0.25, "hk": 0.45, "id": 0.85,
}
OTHER_CLIENTS = [("Twitter Web App", 0.55), ("Twitter Web Client", 0.12), ("Twitter for iPad", 0.12),
                 ("TweetDeck", 0.06), ("Twitter Lite", 0.06), ("Tweetbot for iΟS", 0.02), ("Echofon", 0.02),
                 ("Instagram", 0.02), ("Facebook", 0.015), ("Tweetlogix", 0.005)]
AUTOMATION_CLIENTS = ["twittbot.net", "IFTTT", "Buffer", "dlvr.it", "Hootsuite Inc.", "SocialOomph", "Botize",
                      "TweetDeck", "Twitter Web Client", "Zapier.com", "twitterfeed", "Sprout Social"]
CUSTOM_CLIENTS = ["SocialPilot", "Post Planner", "Crowdfire App", "Statusbrew", "PublishPress", "TweetCaster",
                  "AutoTweeter Pro", "Tweet Scheduler", "SMM Panel", "Friends+Me"]
NEWS_CLIENTS = ["SocialFlow", "TweetDeck", "Twitter Web App", "Hootsuite Inc.", "Sprout Social", "Echobox Social"]
BOT_CLIENTS = ["dlvr.it", "IFTTT", "twitterfeed", "Buffer", "Hootsuite Inc.", "WordPress.com", "Botize",
               "Zapier.com", "RSS Post Bot"]

COMMON = {
    "en": "the to and a of is in it you that for on this my with be are have not just so but all we me what "
          "your at like they was if do can out about people one get now up how more no know good new time "
          "today day love see think really want go going still need who why will would great right back make "
          "never even much only best world life work last first better thank happy night week year home look "
          "feel stop real please free big keep always thing every again tomorrow morning friends family",
    "es": "el la de que y en a los se no por un con una es para lo como más pero sus le ya todo esta hoy muy "
          "día bien gracias vida amor gente siempre nada ahora mejor todos año casa tiempo mundo buen feliz "
          "noche nunca quiero hacer puede así también mañana amigos familia semana",
    "pt": "o a de que e do da em um para é com não uma os no se na por mais as dos como mas foi ao ele das tem "
          "seu sua ou ser quando muito nos já está eu também só pelo hoje dia vida amor gente tudo bom obrigado "
          "casa tempo mundo feliz noite nunca quero fazer amanhã amigos família semana",
    "fr": "le la de et les des un une à en du que est pour qui dans pas sur au plus ne se ce il par je avec "
          "tout mais on nous vous elle très jour vie amour gens merci bien toujours rien maintenant monde temps "
          "heureux soir jamais faire demain amis famille semaine",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden "
          "aus er hat dass sie nach wird bei noch wie heute Tag Leben Liebe Leute danke gut immer nichts jetzt "
          "Welt Zeit glücklich Abend nie machen morgen Freunde Familie Woche",
    "ru": "и в не на я что с он как это по но все она так его к у же вы за бы мы от меня еще нет о из ему "
          "теперь когда даже ну вдруг ли если уже или ни быть был сегодня день жизнь любовь люди спасибо "
          "хорошо всегда ничего сейчас мир время вечер никогда завтра друзья семья неделя",
    "ar": "في من على أن إلى ما لا هذا مع عن كان هو هي كل الله يا لم قد بعد ذلك أو اليوم يوم الحياة الحب "
          "الناس شكرا جميل دائما الآن العالم الوقت سعيد مساء أبدا غدا الأصدقاء العائلة الأسبوع",
    "ja": "今日 は の に を が です ます 本当に ありがとう 明日 楽しい 仕事 好き 可愛い 最高 天気 時間 人 "
          "気持ち ちょっと すごい みんな 映画 音楽 ゲーム 猫 ご飯 朝 夜 友達 写真 新しい 一緒 頑張る 嬉しい "
          "疲れた 眠い 週末",
    "zh": "我們 今天 朋友 生活 工作 喜歡 美食 電影 音樂 天氣 時間 一起 開心 希望 世界 謝謝 真的 非常 "
          "問題 大家 我 你 他 的 是 了 在 不 有 很 也 都 就 要 會 明天 晚上 週末 家人",
    "in": "yang dan di ini itu dengan untuk tidak dari dalam akan pada juga saya ke bisa ada kita aku kamu "
          "sudah mau hari semua orang apa jadi lagi banget terima kasih selamat pagi malam cinta hidup dunia "
          "waktu senang teman rumah makan kerja besok keluarga minggu",
}
POLITICS = {
    "en": "government protest freedom democracy police violence riot truth media lies election vote "
          "corruption law order peace stability foreign interference traitors patriots nation leaders unity "
          "security rights justice economy sanctions propaganda western puppets chaos rioters terrorists "
          "support stand protect country future history shame fake agenda crisis regime border army reform",
    "es": "gobierno protesta libertad democracia policía violencia verdad medios mentiras elecciones voto "
          "corrupción ley orden paz estabilidad injerencia extranjera traidores patria nación pueblo unidad "
          "seguridad derechos justicia economía sanciones propaganda caos golpistas crisis régimen reforma",
    "pt": "governo protesto liberdade democracia polícia violência verdade mídia mentiras eleição voto "
          "corrupção lei ordem paz estabilidade interferência estrangeira traidores pátria nação povo unidade "
          "segurança direitos justiça economia sanções propaganda caos crise regime reforma",
    "fr": "gouvernement manifestation liberté démocratie police violence vérité médias mensonges élections "
          "vote corruption loi ordre paix stabilité ingérence étrangère traîtres patrie nation peuple unité "
          "sécurité droits justice économie sanctions propagande chaos crise régime réforme",
    "ru": "правительство протест свобода демократия полиция насилие правда СМИ ложь выборы голос коррупция "
          "закон порядок мир стабильность вмешательство иностранные предатели патриоты нация народ единство "
          "безопасность права справедливость экономика санкции пропаганда Запад хаос кризис режим реформа",
    "ar": "الحكومة احتجاج الحرية الديمقراطية الشرطة العنف الحقيقة الإعلام أكاذيب الانتخابات التصويت الفساد "
          "القانون النظام السلام الاستقرار التدخل الأجنبي الخونة الوطن الأمة الشعب الوحدة الأمن الحقوق "
          "العدالة الاقتصاد العقوبات الدعاية الفوضى الأزمة",
    "zh": "香港 政府 警察 市民 自由 民主 暴力 社會 和平 穩定 真相 媒體 支持 反對 法治 秩序 國家 未來 "
          "中國 經濟 新聞 選舉 抗議 示威 暴徒 外國 勢力 干預 安全 發展 人民 止暴制亂 廢青 亂港 撐警",
}
HOBBY = {
    "en": "football match goal team season music album song concert anime episode game stream recipe coffee "
          "travel beach photo movie series book cat dog weekend gym kpop comeback fans tour league",
    "in": "bola pertandingan musik lagu konser anime drama film kopi resep jalan pantai foto kucing kpop "
          "comeback idol oppa fans tur",
    "ja": "アニメ 声優 ライブ ゲーム 推し 漫画 新曲 配信 ガチャ イベント グッズ 聖地 コスプレ",
    "es": "fútbol partido gol equipo temporada música canción concierto serie película viaje playa foto "
          "gato perro gimnasio kpop fans gira liga",
    "pt": "futebol jogo gol time temporada música música show série filme viagem praia foto gato cachorro "
          "academia kpop fãs turnê",
}
HOBBY_TAGS = {
    "en": ["NowPlaying", "MUFC", "LFC", "anime", "GameOfThrones", "kpop", "BTS", "NBA", "photography", "foodie"],
    "in": ["kpop", "BTS", "EXO", "dramakorea", "sepakbola", "kuliner", "JKT48", "anime"],
    "ja": ["アニメ", "拡散希望", "ポケモン", "FGO", "ガンダム", "ラブライブ"],
    "es": ["LaLiga", "RealMadrid", "FCBarcelona", "kpop", "BTS", "NowPlaying"],
    "pt": ["Flamengo", "Corinthians", "BBB", "kpop", "BTS", "NowPlaying"],
}
REGION_TAGS = {
    "en": ["MondayMotivation", "tbt", "NowPlaying", "ThrowbackThursday", "FridayFeeling", "news", "love",
           "NFL", "NBA", "GameOfThrones", "WWE", "MAGA", "Brexit", "Oscars", "BlackLivesMatter", "travel",
           "photography", "fitness", "IPL", "Bollywood", "PremierLeague", "GBBO", "covid19", "ClimateChange"],
    "es": ["FelizLunes", "BuenosDías", "LaLiga", "ElClásico", "FelizViernes", "Noticias", "OT2018", "Chile",
           "México", "Argentina", "Venezuela", "Colombia", "fútbol"],
    "pt": ["BBB", "Bolsonaro", "Lula", "Flamengo", "Corinthians", "BomDia", "SextaFeira", "Brasileirão"],
    "fr": ["JeudiPhoto", "GiletsJaunes", "PSG", "OM", "Macron", "bonjour", "ligue1", "cuisine"],
    "de": ["Bundesliga", "FCBayern", "BVB", "Tatort", "GNTM", "Berlin", "AfD", "Fußball"],
    "ru": ["Россия", "Москва", "футбол", "новости", "ЧМ2018", "спорт", "музыка"],
    "ar": ["السعودية", "الرياض", "قطر", "الكويت", "دبي", "جمعة_مباركة", "الهلال", "النصر", "عاجل"],
    "ja": ["拡散希望", "おはようございます", "アニメ", "ポケモン", "拡散", "相互フォロー", "ラブライブ", "FGO"],
    "zh": ["香港", "HongKong", "台灣", "美食", "旅行", "電影", "音樂"],
    "in": ["Jakarta", "Indonesia", "kuliner", "sepakbola", "Persija", "kpop", "JKT48", "Pemilu2019"],
}
FAN_REPLIES = ["I love you!!!", "❤️❤️❤️", "Queen 👑", "So proud of you", "😍😍😍", "LEGEND", "iconic 🔥",
               "We love you", "best day ever", "Notice me pls 🥺", "king behavior", "💜💜", "omg",
               "te amo ❤️", "this is everything", "crying 😭", "the moment", "YES", "so beautiful", "🔥🔥🔥"]
EMOJI = ["😂", "❤️", "🔥", "👍", "🙏", "😍", "😭", "💯", "👏", "😊", "🤔", "😡", "🇺🇸", "✨", "💪", "😎", "🙄", "👇"]
ENDINGS = [("", 0.45), (".", 0.2), ("!", 0.12), ("?", 0.08), ("...", 0.06), ("!!", 0.05), (" 🤷", 0.04)]
FIRST_NAMES = ["James", "Maria", "David", "Sarah", "Carlos", "Ana", "John", "Laura", "Michael", "Sofia",
               "Ahmed", "Fatima", "Yuki", "Hiroshi", "Wei", "Mei", "Olga", "Ivan", "Priya", "Raj", "Lucas",
               "Julia", "Pierre", "Claire", "Hans", "Anna", "Budi", "Siti", "Kevin", "Emma", "Diego", "Paula"]
LAST_NAMES = ["Smith", "Garcia", "Johnson", "Silva", "Martin", "Lopez", "Brown", "Müller", "Kim", "Tanaka",
              "Chen", "Wang", "Ivanov", "Patel", "Sharma", "Dubois", "Rossi", "Santos", "Hernandez", "Lee",
              "Nguyen", "Khan", "Al-Sayed", "Suzuki", "Petrov", "Wilson", "Moore", "Fernandez", "Gonzalez"]
BIO_PARTS = {
    "en": ["Coffee lover", "Mom of two", "Dad", "Engineer", "Football fan", "Views my own", "Student",
           "Dog person", "Writer", "Teacher", "Nurse", "Gamer", "Photographer", "Living my best life",
           "Proud Texan", "Music is life", "Runner", "Foodie", "Traveller", "Tech enthusiast", "Retired",
           "Blessed", "Sports fan", "Bookworm", "Nerd", "Artist", "Just vibing", "Cat mom", "Marketing pro"],
    "es": ["Amante del café", "Madre de dos", "Ingeniero", "Futbolero", "Estudiante", "Profesora",
           "Viajero", "Músico", "Periodista", "Opiniones propias", "Fan del Madrid", "Soñadora"],
    "pt": ["Amante de café", "Mãe", "Engenheiro", "Flamenguista", "Estudante", "Professora", "Viajante",
           "Músico", "Jornalista", "Corinthiano", "Sonhadora"],
    "fr": ["Amoureux du café", "Maman", "Ingénieur", "Fan du PSG", "Étudiant", "Professeure", "Voyageur"],
    "de": ["Kaffeeliebhaber", "Mama", "Ingenieur", "BVB-Fan", "Student", "Lehrerin", "Reisender"],
    "ru": ["Люблю кофе", "Мама", "Инженер", "Болельщик", "Студент", "Учитель", "Путешественник"],
    "ar": ["محب للقهوة", "أم", "مهندس", "طالب", "معلمة", "مسافر", "هلالي", "نصراوي"],
    "ja": ["アニメ好き", "会社員", "学生", "猫好き", "ゲーム", "無言フォロー失礼します", "写真", "カフェ巡り"],
    "zh": ["熱愛生活", "學生", "工程師", "喜歡旅行", "美食", "貓奴", "攝影", "香港人"],
    "in": ["Pecinta kopi", "Mahasiswa", "Ibu rumah tangga", "Guru", "Penggemar bola", "Suka jalan-jalan"],
}
GENERIC_DOMAINS = ["youtube.com/watch?v=", "www.instagram.com/p/", "open.spotify.com/track/",
                   "www.facebook.com/photo?fbid=", "medium.com/@", "www.reddit.com/r/", "www.twitch.tv/",
                   "vimeo.com/", "soundcloud.com/", "www.tiktok.com/@"]
ALNUM = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))

SYLLABLES = {
    "latin": ["ka", "lo", "ma", "re", "ti", "no", "sa", "ve", "ri", "do", "ne", "ta", "li", "mo", "ra",
              "be", "co", "de", "fi", "ga", "ho", "ja", "ku", "pe", "su", "vi", "zo", "an", "el", "or", "in"],
    "cyrillic": ["ка", "ло", "ма", "ре", "ти", "но", "са", "ве", "ри", "до", "не", "та", "ли", "мо", "ра",
                 "бе", "го", "ды", "жи", "зо", "ку", "пе", "су", "ны", "ст", "ов", "ий"],
    "arabic": ["ب", "ت", "س", "م", "ل", "ك", "ن", "ر", "ق", "ح", "ع", "ف", "د", "ي", "و", "ا", "ه", "ج"],
    "kana": ["か", "き", "く", "さ", "し", "す", "た", "ち", "な", "に", "は", "ま", "み", "ら", "り", "る",
             "ん", "ア", "イ", "カ", "ク", "サ", "ト", "ラ", "ン", "ー"],
    "han": list("人大中國小山水火木金日月天地心手口生活時間事情學會工作家朋友電影音樂新聞社會和平真實"
                "經濟發展城市世界年輕未來希望美食旅行天氣開始問題東西南北風雨雲花草海島路車站店門"),
}
SCRIPT = {"en": "latin", "es": "latin", "pt": "latin", "fr": "latin", "de": "latin", "in": "latin",
          "ru": "cyrillic", "ar": "arabic", "ja": "kana", "zh": "han"}


class WorldError(ValueError):
    """Arguments that cannot make a world (printed as one line by the CLI)."""


def stable_seed(*parts: object) -> int:
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode())


def weighted_choice(rng: np.random.Generator, items: list, weights: list[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    idx = rng.choice(len(items), size=n, p=w / w.sum())
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr[idx]


def loguniform(rng: np.random.Generator, lo: float, hi: float, size=None):
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


def codes(rng: np.random.Generator, n: int, length: int = 10) -> list[str]:
    if n == 0:
        return []
    chars = ALNUM[rng.integers(0, len(ALNUM), (n, length))]
    return ["".join(r) for r in chars.tolist()]


def render_list(items) -> str:
    return "[" + ", ".join(items) + "]" if items else "[]"


# --------------------------------------------------------------------------------------------
# language models


class Lang:
    def __init__(self, code: str, rng: np.random.Generator, size: int = 1500):
        self.code = code
        self.sep = "" if code in ("zh", "ja") else " "
        common = COMMON[code].split()
        sy = SYLLABLES[SCRIPT[code]]
        pseudo: list[str] = []
        seen = set(common)
        while len(pseudo) < size:
            k = int(rng.integers(1, 3)) if code == "zh" else int(rng.integers(2, 5))
            w = "".join(sy[int(i)] for i in rng.integers(0, len(sy), k))
            if w not in seen:
                seen.add(w)
                pseudo.append(w)
        vocab = common + pseudo
        self.vocab = np.array(vocab, dtype=object)
        ranks = np.arange(len(vocab))
        self.cum = np.cumsum(1.0 / (ranks + 2.7) ** 1.05)
        self.politics = np.array((POLITICS.get(code) or COMMON[code]).split(), dtype=object)
        hobby = HOBBY.get(code)
        self.hobby = np.array(hobby.split() if hobby else pseudo[:40], dtype=object)

    def tokens(self, rng: np.random.Generator, n: int, lo: int, hi: int, topic=None, share: float = 0.0):
        """n token lists of lo..hi words, a share of them drawn from a topic vocabulary."""
        k = rng.integers(lo, hi + 1, n)
        tot = int(k.sum())
        words = self.vocab[np.searchsorted(self.cum, rng.random(tot) * self.cum[-1])]
        if topic is not None and share > 0:
            m = rng.random(tot) < share
            words[m] = topic[rng.integers(0, len(topic), int(m.sum()))]
        wl = words.tolist()
        out = []
        o = 0
        for ki in k.tolist():
            out.append(wl[o:o + ki])
            o += ki
        return out

    def join(self, toks: list[str]) -> str:
        s = self.sep.join(toks)
        if self.sep and s and s[0].isalpha() and s[0].islower():
            s = s[0].upper() + s[1:]
        return s

    def texts(self, rng: np.random.Generator, n: int, lo: int = 4, hi: int = 18, topic=None, share: float = 0.0,
              emoji: float = 0.12) -> list[str]:
        toks = self.tokens(rng, n, lo, hi, topic, share)
        ends = weighted_choice(rng, [e for e, _ in ENDINGS], [w for _, w in ENDINGS], n).tolist()
        if self.code in ("zh", "ja"):
            ends = ["。" if e == "." else "！" if e == "!" else e for e in ends]
        emo = rng.random(n) < emoji
        em = rng.integers(0, len(EMOJI), n)
        nl = rng.random(n) < 0.03
        out = []
        for i in range(n):
            t = self.sep.join(toks[i][: len(toks[i]) // 2]) + "\n\n" + self.sep.join(toks[i][len(toks[i]) // 2:]) \
                if nl[i] and len(toks[i]) > 3 else self.join(toks[i])
            t += ends[i]
            if emo[i]:
                t += " " + EMOJI[em[i]]
            out.append(t)
        return out

    def tags(self, rng: np.random.Generator, n: int, source=None) -> list[str]:
        """Made-up hashtags from topic words: CamelCase (latin) or concatenated words."""
        src = self.politics if source is None else source
        out = []
        for _ in range(n):
            k = int(rng.integers(1, 4))
            ws = [str(src[int(i)]) for i in rng.integers(0, len(src), k)]
            if self.sep:
                t = "".join(w[:1].upper() + w[1:] for w in ws)
            else:
                t = "".join(ws)
            out.append(t.replace(" ", ""))
        return out


# --------------------------------------------------------------------------------------------
# time


def _profiles() -> np.ndarray:
    """Acceptance weights [profile, weekday(0=Mon), local hour]: 0 organic, 1 office hours, 2 flat."""
    organic = np.array([0.35, 0.2, 0.1, 0.06, 0.05, 0.07, 0.2, 0.45, 0.6, 0.65, 0.7, 0.75,
                        0.85, 0.8, 0.75, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.0, 0.9, 0.6])
    office = np.zeros(24)
    office[9:18] = 1.0
    office[12] = 0.35
    office[8] = 0.25
    w = np.zeros((3, 7, 24))
    w[0] = organic
    w[0, 5:] *= 1.0
    w[1, :5] = office
    w[1, 5:] = office * 0.04
    w[2] = 1.0
    return w


PROFILE_W = _profiles()


def sample_times(rng: np.random.Generator, lo, hi, profile, tz, shift=0) -> np.ndarray:
    """Times in [lo, hi) (ms, arrays or scalars) following a daily/weekly rhythm in local time."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    sizes = [lo.size, hi.size, np.size(profile), np.size(tz), np.size(shift)]
    if 0 in sizes:
        return np.zeros(0, dtype=np.int64)
    n = max(sizes)
    lo = np.broadcast_to(lo, n)
    hi = np.maximum(np.broadcast_to(hi, n), lo + MINUTE)
    profile = np.broadcast_to(np.asarray(profile, dtype=np.int64), n)
    tzms = np.broadcast_to((np.asarray(tz, dtype=float) * HOUR).astype(np.int64), n)
    shift = np.broadcast_to(np.asarray(shift, dtype=np.int64), n)
    out = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    for it in range(60):
        if todo.size == 0:
            break
        t = lo[todo] + (rng.random(todo.size) * (hi[todo] - lo[todo])).astype(np.int64)
        local = t + tzms[todo]
        hour = ((local // HOUR) - shift[todo]) % 24
        wd = ((local // DAY) + 3) % 7
        acc = rng.random(todo.size) < PROFILE_W[profile[todo], wd, hour]
        if it == 59:
            acc[:] = True
        out[todo[acc]] = t[acc]
        todo = todo[~acc]
    return out


def lognormal_delay(rng: np.random.Generator, median_ms, sigma, n: int) -> np.ndarray:
    return (np.asarray(median_ms) * np.exp(rng.normal(0.0, sigma, n))).astype(np.int64)


class Pool:
    """Items with times and weights; pick(t, back) draws an item posted in [t - back, t)."""

    def __init__(self, t: np.ndarray, w: np.ndarray, ids: np.ndarray):
        order = np.argsort(t, kind="stable")
        self.t = t[order]
        self.ids = ids[order]
        self.cw = np.cumsum(np.asarray(w, dtype=float)[order])

    def pick(self, rng: np.random.Generator, tq: np.ndarray, back: np.ndarray) -> np.ndarray:
        n = tq.size
        if self.t.size == 0:
            return np.full(n, -1, dtype=np.int64)
        hi = np.searchsorted(self.t, tq, "left")
        lo = np.searchsorted(self.t, tq - back, "left")
        lo = np.where(hi <= lo, np.maximum(hi - 1, 0), lo)
        ok = hi > 0
        his = np.maximum(hi, 1)
        base = np.where(lo > 0, self.cw[np.maximum(lo - 1, 0)], 0.0)
        top = self.cw[his - 1]
        u = base + rng.random(n) * (top - base)
        k = np.clip(np.searchsorted(self.cw, u, "right"), lo, his - 1)
        return np.where(ok, self.ids[k], -1)


# --------------------------------------------------------------------------------------------
# the world


class World:
    def __init__(self, accounts: int, tweets: int, seed: int, knobs: dict[str, float]):
        self.n_accounts = accounts
        self.n_tweets = tweets
        self.seed = seed
        self.k = knobs
        self.s = tweets / max(accounts, 1) / 100.0  # activity scale: 1.0 = 100 tweets per account
        r = self.rng("window")
        start_day = int(r.integers(17167, 18262))  # 2017-01-01 .. 2019-12-31
        self.T0 = start_day * DAY
        self.T1 = self.T0 + int(knobs["days"]) * DAY
        self.langs = {c: Lang(c, self.rng("lang", c)) for c in COMMON}
        rw = self.rng("regions")
        base = np.array([r[4] for r in REGIONS])
        self.region_w = base * rw.gamma(6.0, 1.0, len(base))
        self.region_w /= self.region_w.sum()
        self.acc: dict[str, list] = {f: [] for f in ACCOUNT_FIELDS}
        self.posts: dict[str, list] = {f: [] for f in POST_FIELDS}
        self._cache: dict[str, np.ndarray] = {}
        self.ops: list[dict] = []
        self.articles: dict[str, list] = {"t": [], "url": [], "headline": [], "outlet": [], "lang": [],
                                          "viral": [], "post": [], "short": []}
        self.community_tags: dict[str, list[str]] = {}
        self.celeb_tags: dict[int, list[str]] = {}
        self.news_domain: dict[int, str] = {}

    def rng(self, *name: object) -> np.random.Generator:
        return np.random.default_rng([self.seed, stable_seed(*name)])

    # ---- accounts --------------------------------------------------------------------------

    def add_accounts(self, n: int, **cols) -> np.ndarray:
        start = len(self.acc["kind"])
        for f in ACCOUNT_FIELDS:
            v = cols.get(f, ACCOUNT_DEFAULTS[f])
            if isinstance(v, np.ndarray):
                v = v.tolist()
            elif not isinstance(v, list):
                v = [v] * n
            assert len(v) == n, f
            self.acc[f].extend(v)
        self._cache.clear()
        return np.arange(start, start + n)

    def A(self, field: str) -> np.ndarray:
        key = "acc:" + field
        if key not in self._cache:
            v = self.acc[field]
            self._cache[key] = np.array(v, dtype=object if isinstance(v[0], str) else None)
        return self._cache[key]

    def set_acc(self, idx, field: str, values) -> None:
        vals = values.tolist() if isinstance(values, np.ndarray) else values
        if not isinstance(vals, list):
            vals = [vals] * len(idx)
        col = self.acc[field]
        for i, v in zip(np.asarray(idx).tolist(), vals):
            col[i] = v
        self._cache.pop("acc:" + field, None)

    def organic_accounts(self, n: int, kind: str, regions: np.ndarray | None = None, label: str = "organic",
                         tactic: str = "", group: str = "", name: str = "") -> np.ndarray:
        """n accounts with organic-looking attributes."""
        r = self.rng("accounts", kind, name, len(self.acc["kind"]))
        if regions is None:
            regions = r.choice(len(REGIONS), size=n, p=self.region_w)
        regions = np.asarray(regions)
        tz = np.array([r.choice(REGIONS[g][1]) for g in regions.tolist()], dtype=float)
        lang = [REGIONS[g][2] for g in regions.tolist()]
        alang = [r.choice(REGIONS[g][3]) if r.random() < 0.85 else "en" for g in regions.tolist()]
        followers = np.minimum(np.exp(r.normal(math.log(140), 1.5, n)).astype(np.int64), 4999)
        big = r.random(n) < 0.01
        followers[big] = np.exp(r.uniform(math.log(5000), math.log(60000), int(big.sum()))).astype(np.int64)
        following = np.maximum(1, (np.exp(r.normal(math.log(260), 1.0, n)) * (followers / 140) ** 0.3)).astype(np.int64)
        created = self.organic_creation(r, n)
        main, alt, pmain = self.region_clients(r, regions)
        loc = [self.location(r, g) for g in regions.tolist()]
        bio = [self.organic_bio(r, lg) for lg in lang]
        purl = ["https://t.co/" + c if r.random() < 0.15 else "" for c in codes(r, n)]
        return self.add_accounts(
            n, kind=kind, region=regions, tz=tz, lang=lang, acct_lang=alang, followers=followers,
            following=following, created=created, client_main=main, client_alt=alt, p_main=pmain,
            location=loc, bio=bio, purl=purl, label=label, tactic=tactic, group=group,
            shift=r.integers(-2, 3, n), eng=np.exp(r.normal(0, 0.5, n)),
            rt_share=r.beta(2.5, 3.5, n), reply_share=r.beta(1.5, 8, n), quote_share=r.beta(1, 25, n),
            tag_rate=r.beta(1.2, 5, n), url_rate=r.beta(1.2, 7, n), mention_rate=r.beta(1, 9, n),
        )

    def organic_creation(self, r: np.random.Generator, n: int) -> np.ndarray:
        first = 14000  # 2008-05
        last = self.T0 // DAY - 7
        u = r.beta(1.6, 1.2, n)
        return (first + u * (last - first)).astype(np.int64)

    def region_clients(self, r: np.random.Generator, regions: np.ndarray):
        n = regions.size
        droid = np.array([MOBILE[REGIONS[g][0]] for g in regions.tolist()])
        mobile = r.random(n) < 0.78
        isdroid = r.random(n) < droid
        other = weighted_choice(r, [c for c, _ in OTHER_CLIENTS], [w for _, w in OTHER_CLIENTS], n)
        main = np.where(mobile, np.where(isdroid, "Twitter for Android", "Twitter for iPhone"), other)
        alt_other = weighted_choice(r, [c for c, _ in OTHER_CLIENTS], [w for _, w in OTHER_CLIENTS], n)
        alt = np.where(mobile, alt_other, np.where(r.random(n) < droid, "Twitter for Android", "Twitter for iPhone"))
        pmain = r.uniform(0.6, 1.0, n)
        return main.astype(object), alt.astype(object), pmain

    def location(self, r: np.random.Generator, g: int) -> str:
        if r.random() < 0.35:
            return ""
        locs = REGIONS[g][5]
        return locs[int(r.integers(0, len(locs)))]

    def organic_bio(self, r: np.random.Generator, lang: str) -> str:
        if r.random() < 0.28:
            return ""
        parts = BIO_PARTS.get(lang, BIO_PARTS["en"])
        k = int(r.integers(1, 4))
        ps = [parts[int(i)] for i in r.choice(len(parts), size=min(k, len(parts)), replace=False)]
        sep = [" | ", ". ", " • ", ", ", " / ", "\n"][int(r.integers(0, 6))]
        s = sep.join(ps)
        if r.random() < 0.3:
            s += " " + EMOJI[int(r.integers(0, len(EMOJI)))]
        return s

    # ---- posts -----------------------------------------------------------------------------

    def add_posts(self, author, t, kind=0, ref=None, text=None, tags=None, urls=None, mentions=None,
                  lang=None, client=None, rng: np.random.Generator | None = None) -> np.ndarray:
        author = np.asarray(author, dtype=np.int64)
        n = author.size
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        start = len(self.posts["author"])
        t = np.broadcast_to(np.asarray(t, dtype=np.int64), n)
        kind = np.broadcast_to(np.asarray(kind, dtype=np.int64), n)
        ref = np.full(n, -1) if ref is None else np.broadcast_to(np.asarray(ref, dtype=np.int64), n)
        if lang is None:
            lang = self.A("lang")[author].tolist()
        if client is None:
            r = rng if rng is not None else self.rng("client", start)
            usemain = r.random(n) < self.A("p_main")[author]
            client = np.where(usemain, self.A("client_main")[author], self.A("client_alt")[author]).tolist()
        none = [()] * n
        cols = {
            "author": author.tolist(), "t": t.tolist(), "kind": kind.tolist(), "ref": ref.tolist(),
            "text": text if text is not None else [None] * n, "tags": tags if tags is not None else none,
            "urls": urls if urls is not None else none, "mentions": mentions if mentions is not None else none,
            "lang": lang if isinstance(lang, list) else [lang] * n,
            "client": client if isinstance(client, list) else ([client] * n if isinstance(client, str) else list(client)),
        }
        for f in POST_FIELDS:
            assert len(cols[f]) == n, f
            self.posts[f].extend(cols[f])
        self._cache = {k: v for k, v in self._cache.items() if not k.startswith("post:")}
        return np.arange(start, start + n)

    def P(self, field: str) -> np.ndarray:
        key = "post:" + field
        if key not in self._cache:
            self._cache[key] = np.array(self.posts[field], dtype=np.int64)
        return self._cache[key]

    def n_written(self) -> int:
        a = self.P("author")
        return int((self.A("kind")[a] != "external").sum()) if a.size else 0

    def retweet(self, rt_authors: np.ndarray, refs: np.ndarray, delays: np.ndarray, rng, client=None) -> np.ndarray:
        """Retweets of posts refs by rt_authors, delays ms after the original."""
        keep = refs >= 0
        rt_authors, refs, delays = rt_authors[keep], refs[keep], delays[keep]
        t = self.P("t")[refs] + np.maximum(delays, 1500)
        return self.add_posts(rt_authors, t, kind=1, ref=refs, lang=[self.posts["lang"][i] for i in refs.tolist()],
                              client=None if client is None else np.asarray(client, dtype=object)[keep].tolist(), rng=rng)


ACCOUNT_FIELDS = ["kind", "region", "tz", "lang", "acct_lang", "followers", "following", "created", "client_main",
                  "client_alt", "p_main", "location", "bio", "purl", "label", "tactic", "group", "shift", "eng",
                  "rt_share", "reply_share", "quote_share", "tag_rate", "url_rate", "mention_rate", "profile",
                  "office", "office_tz", "t_lo", "t_hi", "screen", "display", "uid", "intl", "bg", "bg_topic"]
ACCOUNT_DEFAULTS = {
    "kind": "ordinary", "region": 0, "tz": 0.0, "lang": "en", "acct_lang": "en", "followers": 100, "following": 100,
    "created": 15000, "client_main": "Twitter for Android", "client_alt": "Twitter Web App", "p_main": 0.8,
    "location": "", "bio": "", "purl": "", "label": "organic", "tactic": "", "group": "", "shift": 0, "eng": 1.0,
    "rt_share": 0.3, "reply_share": 0.1, "quote_share": 0.02, "tag_rate": 0.15, "url_rate": 0.1,
    "mention_rate": 0.08, "profile": 0, "office": 0.0, "office_tz": 0.0, "t_lo": 0, "t_hi": 0, "screen": "",
    "display": "", "uid": "", "intl": 0, "bg": -1, "bg_topic": "",
}
POST_FIELDS = ["author", "t", "kind", "ref", "text", "tags", "urls", "mentions", "lang", "client"]


# --------------------------------------------------------------------------------------------
# celebrities, news outlets, accounts outside the data

NEWS_WORDS = ["Morning", "Daily", "Evening", "Global", "National", "City", "Free", "Metro", "Herald", "Ledger",
              "Tribune", "Post", "Times", "Journal", "Gazette", "Chronicle", "Observer", "Courier", "Express",
              "Standard", "Sentinel", "Dispatch", "Report", "Today", "Voice", "Star", "Mirror", "Record", "Wire"]
TLD = {"us": ".com", "uk": ".co.uk", "in": ".in", "es": ".es", "latam": ".com.mx", "br": ".com.br", "fr": ".fr",
       "de": ".de", "ru": ".ru", "gulf": ".ae", "jp": ".jp", "hk": ".hk", "id": ".co.id"}
SECTIONS = ["news", "world", "politics", "business", "sport", "culture", "tech", "opinion", "local"]
FAN_TAGS = ["iHeartAwards", "BestFanArmy", "KCA", "TeenChoice", "MTVHottest", "PCAs", "BBMAs", "VoteNow"]


def person_name(r: np.random.Generator) -> tuple[str, str]:
    f = FIRST_NAMES[int(r.integers(0, len(FIRST_NAMES)))]
    last = LAST_NAMES[int(r.integers(0, len(LAST_NAMES)))]
    return f, last


def make_celebrities(w: World) -> np.ndarray:
    r = w.rng("celebrities")
    n = max(4, round(0.004 * w.n_accounts))
    idx = w.organic_accounts(n, "celebrity")
    w.set_acc(idx, "followers", np.exp(r.uniform(math.log(2e5), math.log(2e7), n)).astype(np.int64))
    w.set_acc(idx, "following", r.integers(20, 900, n))
    w.set_acc(idx, "intl", (r.random(n) < 0.5).astype(int))
    w.set_acc(idx, "client_main", weighted_choice(r, ["Twitter for iPhone", "Twitter Media Studio", "Twitter Web App"], [6, 2, 2], n))
    w.set_acc(idx, "created", r.integers(14000, 16000, n))
    names = []
    for _ in range(n):
        f, last = person_name(r)
        names.append((f, last))
    w.set_acc(idx, "display", [f"{f} {last}" for f, last in names])
    w.set_acc(idx, "screen", [f"{f}{last}".replace("-", "") + ("" if r.random() < 0.6 else "Official") for f, last in names])
    w.set_acc(idx, "bio", ["Official account. " + ["Singer", "Actor", "Footballer", "Author", "TV host", "Comedian"][int(r.integers(0, 6))]
                           + (" | New album out now" if r.random() < 0.3 else "") for _ in range(n)])
    w.celeb_tags = {int(i): [f"{f}{last}".replace("-", ""), f"{f}{last}Day".replace("-", "")] for i, (f, last) in zip(idx.tolist(), names)}
    lang = w.A("lang")
    tz = w.A("tz")
    for i in idx.tolist():
        k = max(1, int(r.uniform(0.7, 3.0) * int(w.k["days"]) * min(1.0, w.s)))
        t = sample_times(r, np.full(k, w.T0), w.T1, 0, tz[i], 0)
        L = w.langs[lang[i]]
        texts = L.texts(r, k, 3, 14, emoji=0.4)
        tags = [tuple(w.celeb_tags[i][:1]) if r.random() < 0.15 else () for _ in range(k)]
        pic = r.random(k) < 0.4
        texts = [tx + (" " + " ".join("#" + g for g in tg) if tg else "") + (" https://t.co/" + c if p else "")
                 for tx, tg, p, c in zip(texts, tags, pic.tolist(), codes(r, k))]
        w.add_posts(np.full(k, i), t, text=texts, tags=tags, lang=lang[i], rng=r)
    return idx


def make_news(w: World) -> np.ndarray:
    r = w.rng("news")
    n = max(6, round(0.006 * w.n_accounts))
    idx = w.organic_accounts(n, "news")
    w.set_acc(idx, "followers", np.exp(r.uniform(math.log(3e4), math.log(5e6), n)).astype(np.int64))
    w.set_acc(idx, "following", r.integers(50, 2000, n))
    w.set_acc(idx, "intl", (r.random(n) < 0.25).astype(int))
    w.set_acc(idx, "client_main", weighted_choice(r, NEWS_CLIENTS, [4, 3, 2, 2, 1, 1], n))
    w.set_acc(idx, "p_main", np.full(n, 0.95))
    w.set_acc(idx, "created", r.integers(14000, 15500, n))
    region = w.A("region")
    tz = w.A("tz")
    lang = w.A("lang")
    used: set[str] = set()
    disp, screens, bios, domains = [], [], [], []
    for i in idx.tolist():
        while True:
            a, b = (NEWS_WORDS[int(j)] for j in r.choice(len(NEWS_WORDS), 2, replace=False))
            if a + b not in used:
                used.add(a + b)
                break
        disp.append(f"The {a} {b}")
        screens.append(a + b)
        domains.append((a + b).lower() + TLD[REGIONS[region[i]][0]])
        bios.append(f"News and analysis from The {a} {b}. Breaking news, politics, business, sport.")
    w.set_acc(idx, "display", disp)
    w.set_acc(idx, "screen", screens)
    w.set_acc(idx, "bio", bios)
    w.set_acc(idx, "purl", ["https://t.co/" + c for c in codes(r, n)])
    w.news_domain = dict(zip(idx.tolist(), domains))
    art = w.articles
    for j, i in enumerate(idx.tolist()):
        k = max(1, int(r.uniform(3, 10) * int(w.k["days"]) * min(1.0, w.s)))
        t = np.sort(sample_times(r, np.full(k, w.T0), w.T1, 0, tz[i], -1))
        L = w.langs[lang[i]]
        toks = L.tokens(r, k, 6, 14, topic=L.politics, share=0.3)
        heads = [L.join(tk) for tk in toks]
        utm = r.random() < 0.5
        short = r.random() < 0.3
        urls, shorts = [], []
        for tt, tk, c in zip(t.tolist(), toks, codes(r, k, 7)):
            day = time.strftime("%Y/%m/%d", time.gmtime(tt // 1000))
            sec = SECTIONS[int(r.integers(0, len(SECTIONS)))]
            if SCRIPT[lang[i]] == "latin":
                slug = "-".join(x.lower() for x in tk[:7] if x.isalpha())
                u = f"https://www.{domains[j]}/{sec}/{day}/{slug}"
            else:
                u = f"https://www.{domains[j]}/{sec}/article/{int(r.integers(10**6, 10**8))}"
            urls.append(u)
            shorts.append("http://bit.ly/" + c if short else "")
        shown = [s if s else (u + "?utm_source=twitter&utm_medium=social" if utm else u) for u, s in zip(urls, shorts)]
        texts = [h + " https://t.co/" + c for h, c in zip(heads, codes(r, k))]
        pid = w.add_posts(np.full(k, i), t, text=texts, urls=[(s,) for s in shown], lang=lang[i], rng=r)
        art["t"] += t.tolist()
        art["url"] += urls
        art["headline"] += heads
        art["outlet"] += [i] * k
        art["lang"] += [lang[i]] * k
        art["viral"] += np.exp(r.normal(0, 1.2, k)).tolist()
        art["post"] += pid.tolist()
        art["short"] += shorts
    return idx


def make_external(w: World, n: int, name: str, region: np.ndarray | int | None = None, lang: str | None = None,
                  rate: tuple[float, float] = (0.5, 5.0), lo: int | None = None, hi: int | None = None,
                  topic: str = "", followers: tuple[float, float] = (1e4, 5e6), intl: float = 0.2) -> np.ndarray:
    """Accounts not in the data (not in users.csv) whose posts get retweeted, quoted, replied to."""
    r = w.rng("external", name)
    regions = r.choice(len(REGIONS), size=n, p=w.region_w) if region is None else np.broadcast_to(region, n)
    idx = w.organic_accounts(n, "external", regions=regions, name=name)
    w.set_acc(idx, "followers", np.exp(r.uniform(math.log(followers[0]), math.log(followers[1]), n)).astype(np.int64))
    w.set_acc(idx, "intl", (r.random(n) < intl).astype(int))
    if lang is not None:
        w.set_acc(idx, "lang", lang)
    names = [person_name(r) for _ in range(n)]
    w.set_acc(idx, "display", [f"{f} {last}" for f, last in names])
    w.set_acc(idx, "screen", [f"{f}_{last}".replace("-", "") + str(int(r.integers(1, 99))) for f, last in names])
    lo = w.T0 if lo is None else lo
    hi = w.T1 if hi is None else hi
    langs = w.A("lang")
    tz = w.A("tz")
    for i in idx.tolist():
        k = max(1, int(r.uniform(*rate) * (hi - lo) / DAY * min(1.0, w.s)))
        t = sample_times(r, np.full(k, lo), hi, 0, tz[i], 0)
        L = w.langs[langs[i]]
        texts = L.texts(r, k, 5, 20, topic=L.politics if topic == "politics" else None, share=0.35, emoji=0.1)
        w.add_posts(np.full(k, i), t, text=texts, lang=langs[i], rng=r)
    return idx


def posts_of(w: World, authors: np.ndarray, lo: int | None = None, hi: int | None = None) -> np.ndarray:
    a = w.P("author")
    t = w.P("t")
    m = np.isin(a, authors) & (w.P("kind") != 1)
    if lo is not None:
        m &= t >= lo
    if hi is not None:
        m &= t < hi
    return np.nonzero(m)[0]


def external_originals(w: World, r: np.random.Generator, authors: np.ndarray, t: np.ndarray, lang: str,
                       topic=None) -> np.ndarray:
    """Posts by outside accounts at times t (targets of retweets whose originals are not otherwise made)."""
    L = w.langs[lang]
    texts = L.texts(r, authors.size, 5, 18, topic=topic, share=0.4 if topic is not None else 0.0)
    return w.add_posts(authors, t, text=texts, lang=lang, rng=r)


# --------------------------------------------------------------------------------------------
# operations

OP_REGIONS = ["us", "uk", "es", "latam", "br", "fr", "ru", "gulf", "hk"]
OPERATOR_TZ = [8.0, 3.0, 3.5, 4.5, 1.0, -5.0, 5.0, 4.0, 7.0, 0.0]
FARM_WORDS = ["truth", "daily", "voice", "report", "insight", "patriot", "today", "free", "nation", "watch",
              "news", "post", "times", "world", "people", "real", "first", "now", "focus", "alert"]
FARM_TLDS = ["com", "net", "info", "org", "news", "online", "press", "site"]
HOBBY_LANGS = ["en", "in", "ja", "es", "pt"]
HOBBY_REGION = {"en": "us", "in": "id", "ja": "jp", "es": "latam", "pt": "br"}


def knob(w: World, name: str, default_draw):
    v = w.k[name]
    return default_draw() if v is None else v


def plan_ops(w: World) -> list[dict]:
    r = w.rng("ops")
    lo, hi = int(w.k["op_size_min"]), int(w.k["op_size_max"])
    sizes = r.integers(lo, max(lo, hi) + 1, len(TACTICS))
    cap = 0.3 * w.n_accounts
    if sizes.sum() > cap:
        sizes = np.maximum(5, np.floor(sizes * cap / sizes.sum())).astype(int)
    numbers = r.permutation(len(TACTICS)) + 1
    span = w.T1 - w.T0
    specs = []
    for g, tactic in enumerate(TACTICS):
        rr = w.rng("op", tactic)
        region = OP_REGIONS[int(rr.integers(0, len(OP_REGIONS)))]
        gi = REGION_INDEX[region]
        tz = float(rr.choice(REGIONS[gi][1]))
        traits = {}
        for name, prior in zip(TRAITS, TRAIT_PRIOR[tactic]):
            present = rr.random() < min(1.0, prior * float(w.k["trait_prob"]) / 0.5)
            degree = float(np.clip(rr.uniform(0.3, 1.0) * float(w.k["trait_strength"]), 0.0, 1.0))
            traits[name] = round(degree, 3) if present else 0.0
        far = [z for z in OPERATOR_TZ if abs(z - tz) >= 4]
        op_tz = float(rr.choice(far if far and traits["office_hours"] > 0 else OPERATOR_TZ))
        d_lo, d_hi = DELAY_RANGE[tactic]
        delay_s = float(knob(w, "op_delay_s", lambda: loguniform(rr, d_lo, d_hi))) * float(w.k["timing"])
        persona = tactic == "slow_persona"
        specs.append({
            "group": f"io_{int(numbers[g])}", "tactic": tactic, "size": int(sizes[g]), "region": region,
            "lang": REGIONS[gi][2], "tz": tz, "operator_tz": op_tz, "traits": traits,
            "median_delay_s": round(delay_s, 1), "delay_sigma": round(float(rr.uniform(0.5, 1.2)), 3),
            "participation": round(float(knob(w, "participation", lambda: rr.uniform(0.15, 0.4) if persona else rr.uniform(0.3, 0.8))), 3),
            "quiet_share": round(float(knob(w, "quiet_share", lambda: rr.uniform(0.1, 0.35))), 3),
            "camouflage": round(float(knob(w, "camouflage", lambda: rr.uniform(0.6, 0.85) if persona else rr.uniform(0.15, 0.6))), 3),
            "actions_per_member": round(float((rr.uniform(6, 15) if persona else rr.uniform(20, 60)) * w.s * float(w.k["actions"])), 2),
            "copy_exact": round(float(rr.uniform(0.3, 0.85)), 3),
            "start": int(w.T0 + rr.uniform(0, 0.25) * span), "end": int(w.T1 - rr.uniform(0, 0.15) * span),
        })
    return specs


def op_members(w: World, spec: dict, r: np.random.Generator):
    m = spec["size"]
    gi = REGION_INDEX[spec["region"]]
    idx = w.organic_accounts(m, "op", regions=np.full(m, gi), label="io", tactic=spec["tactic"], group=spec["group"],
                             name=spec["tactic"])
    w.set_acc(idx, "tz", np.full(m, spec["tz"]))
    w.set_acc(idx, "rt_share", r.beta(4, 3, m))
    tr = spec["traits"]
    if tr["batch_creation"]:
        k = int(round(tr["batch_creation"] * m))
        nb = int(r.integers(1, 4))
        centres = w.T0 // DAY - r.integers(30, 540, nb)
        widths = r.integers(0, 4, nb)
        b = r.integers(0, nb, k)
        days = centres[b] + (r.random(k) * (widths[b] + 1)).astype(np.int64)
        w.set_acc(r.choice(idx, k, replace=False), "created", days)
    if tr["automation_client"]:
        client = str(r.choice(AUTOMATION_CLIENTS if r.random() < 0.7 else CUSTOM_CLIENTS))
        spec["client"] = client
        w.set_acc(idx, "client_main", client)
        w.set_acc(idx, "p_main", np.clip(tr["automation_client"] * r.uniform(0.8, 1.2, m), 0, 1))
    if tr["office_hours"]:
        w.set_acc(idx, "office", np.full(m, tr["office_hours"]))
        w.set_acc(idx, "office_tz", np.full(m, spec["operator_tz"]))
    if tr["low_engagement"]:
        k = int(round(tr["low_engagement"] * m))
        sel = r.choice(idx, k, replace=False)
        med = r.uniform(800, 6000)
        w.set_acc(sel, "followers", np.exp(r.normal(math.log(med), 0.5, k)).astype(np.int64))
        w.set_acc(sel, "following", np.exp(r.normal(math.log(med * r.uniform(0.6, 1.2)), 0.4, k)).astype(np.int64))
        w.set_acc(sel, "eng", r.uniform(0.005, 0.06, k))
    if tr["templated_bio"]:
        k = int(round(tr["templated_bio"] * m))
        sel = r.choice(idx, k, replace=False)
        L = w.langs[spec["lang"]]
        parts = list(BIO_PARTS.get(spec["lang"], BIO_PARTS["en"]))
        words = [str(x) for x in L.politics[r.choice(len(L.politics), 6, replace=False)]]
        sep = [" | ", " • ", ". ", " 🇺🇳 "][int(r.integers(0, 4))]
        tag = L.tags(r, 1)[0]
        loc = REGIONS[gi][5][int(r.integers(0, len(REGIONS[gi][5])))]
        bios = []
        for _ in range(k):
            a = parts[int(r.integers(0, len(parts)))]
            b = words[int(r.integers(0, len(words)))]
            bios.append(f"{a}{sep}{b.capitalize() if L.sep else b}{sep}#{tag}")
        w.set_acc(sel, "bio", bios)
        w.set_acc(sel, "location", loc)
        w.set_acc(sel, "purl", "")
    quiet = r.random(m) < spec["quiet_share"]
    p = np.clip(spec["participation"] * np.exp(r.normal(0, 0.25, m)), 0, 1)
    qr = np.full(m, float(w.k["quiet_rate"])) if w.k["quiet_rate"] is not None else r.uniform(0.03, 0.2, m)
    p = np.where(quiet, p * qr, p)
    lag = np.exp(r.normal(0, 0.5, m))
    spec["n_quiet"] = int(quiet.sum())
    return idx, p, lag


def op_times(w: World, r: np.random.Generator, spec: dict, n: int, lo=None, hi=None) -> np.ndarray:
    office = r.random(n) < spec["traits"]["office_hours"]
    lo = spec["start"] if lo is None else lo
    hi = spec["end"] if hi is None else hi
    return sample_times(r, np.broadcast_to(np.asarray(lo, dtype=np.int64), n), hi, office.astype(int),
                        np.where(office, spec["operator_tz"], spec["tz"]), 0)


def op_delays(r: np.random.Generator, spec: dict, lag: np.ndarray) -> np.ndarray:
    return np.maximum(lognormal_delay(r, spec["median_delay_s"] * SECOND * lag, spec["delay_sigma"], lag.size), 2 * SECOND)


def participants(r: np.random.Generator, p: np.ndarray, n_ev: int):
    ev, mem = np.nonzero(r.random((n_ev, p.size)) < p[None, :])
    return ev, mem


def n_events(spec: dict, p: np.ndarray, share: float = 1.0, cap: int = 3000) -> int:
    return int(min(cap, max(3, round(share * spec["actions_per_member"] * p.size / max(p.sum(), 1e-6)))))


def op_vocab(w: World, spec: dict, r: np.random.Generator):
    L = w.langs[spec["lang"]]
    names = [str(x).capitalize() for x in L.vocab[r.integers(200, len(L.vocab), 4)]]
    vocab = np.array(list(L.politics) + names, dtype=object)
    return L, vocab, L.tags(r, 10, vocab)


def op_targets(w: World, spec: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Outside political accounts the operation amplifies, and their posts."""
    gi = REGION_INDEX[spec["region"]]
    tg = make_external(w, n, "targets-" + spec["tactic"], region=gi, lang=spec["lang"], rate=(2, 8),
                       lo=spec["start"], hi=spec["end"], topic="politics", followers=(2e4, 3e6), intl=0.0)
    return tg, posts_of(w, tg)


def article_for(w: World, r: np.random.Generator, lang: str) -> str:
    a = w.articles
    cand = [i for i, lg in enumerate(a["lang"]) if lg == lang] or list(range(len(a["lang"])))
    return a["url"][cand[int(r.integers(0, len(cand)))]]


def light_edit(r: np.random.Generator, L: Lang, toks: list[str]) -> list[str]:
    toks = list(toks)
    for _ in range(int(r.integers(1, 4))):
        op = int(r.integers(0, 6))
        i = int(r.integers(0, len(toks)))
        if op == 0 and len(toks) > 4:
            del toks[i]
        elif op == 1 and i + 1 < len(toks):
            toks[i], toks[i + 1] = toks[i + 1], toks[i]
        elif op == 2:
            toks[i] = str(L.vocab[int(r.integers(0, 300))])
        elif op == 3:
            toks.insert(i, str(L.vocab[int(r.integers(0, 300))]))
        elif op == 4:
            toks[i] = toks[i].upper()
        else:
            toks.insert(0, ["👉", "‼️", "📢", "🔴", ">>"][int(r.integers(0, 5))])
    return toks


def tag_suffix(tags) -> str:
    return (" " + " ".join("#" + t for t in tags)) if tags else ""


def op_copy_paste(w: World, spec: dict, idx, p, lag, r) -> np.ndarray:
    L, vocab, tags = op_vocab(w, spec, r)
    tg, tposts = op_targets(w, spec, int(r.integers(3, 7)))
    n_ev = n_events(spec, p)
    T = op_times(w, r, spec, n_ev)
    toks = L.tokens(r, n_ev, 8, 22, topic=vocab, share=0.35)
    ends = weighted_choice(r, [e for e, _ in ENDINGS], [x for _, x in ENDINGS], n_ev).tolist()
    ev_tags = [tuple(tags[j] for j in r.choice(len(tags), int(r.integers(1, 3)), replace=False)) if r.random() < 0.6 else ()
               for _ in range(n_ev)]
    ev_url = [article_for(w, r, spec["lang"]) if r.random() < 0.3 else "" for _ in range(n_ev)]
    pool = Pool(w.P("t")[tposts], np.ones(tposts.size), tposts)
    reply_to = np.where(r.random(n_ev) < 0.2, pool.pick(r, T, np.full(n_ev, 12 * HOUR)), -1)
    ev, mem = participants(r, p, n_ev)
    t = T[ev] + op_delays(r, spec, lag[mem])
    exact = r.random(ev.size) < spec["copy_exact"]
    texts, ptags, purls, ments = [], [], [], []
    tco = codes(r, ev.size)
    for j, (e, x) in enumerate(zip(ev.tolist(), exact.tolist())):
        body = L.join(toks[e] if x else light_edit(r, L, toks[e])) + (ends[e] if x else ENDINGS[int(r.integers(0, 4))][0])
        body += tag_suffix(ev_tags[e])
        if ev_url[e]:
            body += " https://t.co/" + tco[j]
        texts.append(body)
        ptags.append(ev_tags[e])
        purls.append((ev_url[e],) if ev_url[e] else ())
        ments.append((int(w.P("author")[reply_to[e]]),) if reply_to[e] >= 0 else ())
    kind = np.where(reply_to[ev] >= 0, 2, 0)
    w.add_posts(idx[mem], t, kind=kind, ref=reply_to[ev], text=texts, tags=ptags, urls=purls, mentions=ments,
                lang=spec["lang"], rng=r)
    spec["talking_points"] = n_ev
    return np.bincount(mem, minlength=idx.size)


def op_hashtag_campaign(w: World, spec: dict, idx, p, lag, r) -> np.ndarray:
    L, vocab, tags = op_vocab(w, spec, r)
    rtags = REGION_TAGS[spec["lang"]]
    office = spec["traits"]["office_hours"]
    tz = spec["operator_tz"] if office > 0.5 else spec["tz"]
    d0, d1 = spec["start"] // DAY, spec["end"] // DAY
    slots, sets = [], []
    n_sets = int(r.integers(3, 7))
    for s in range(n_sets):
        st = [str(x) for x in r.choice(tags, int(r.integers(2, 5)), replace=False)]
        if r.random() < 0.4:
            st.append(rtags[int(r.integers(0, len(rtags)))])
        sets.append(st)
        total = max(1, d1 - d0)
        run = int(r.integers(min(7, total), total + 1))
        first = d0 + int(r.integers(0, total - run + 1))
        hours = sorted(r.choice(np.arange(7, 23), int(r.integers(1, 4)), replace=False).tolist())
        minute = int(r.choice([0, 0, 0, 15, 30, 45]))
        wk_only = r.random() < office
        for d in range(first, first + run):
            if wk_only and (d + 3) % 7 >= 5:
                continue
            for h in hours:
                slots.append((d * DAY + h * HOUR + minute * MINUTE - int(tz * HOUR), s))
    slots.sort()
    slot_t = np.array([x[0] for x in slots], dtype=np.int64)
    slot_s = np.array([x[1] for x in slots], dtype=np.int64)
    need = n_events(spec, p)
    reps = max(1, math.ceil(need / max(1, slot_t.size)))
    pick = np.sort(r.choice(slot_t.size * reps, min(need, slot_t.size * reps), replace=False))
    T = slot_t[pick % slot_t.size] + (pick // slot_t.size) * int(r.integers(2, 9)) * MINUTE
    S = slot_s[pick % slot_t.size]
    ev, mem = participants(r, p, T.size)
    t = T[ev] + op_delays(r, spec, lag[mem])
    bodies = L.texts(r, ev.size, 3, 10, topic=vocab, share=0.4, emoji=0.1)
    texts, ptags = [], []
    for j, e in enumerate(ev.tolist()):
        st = list(sets[S[e]])
        if r.random() < 0.2:
            r.shuffle(st)
        if len(st) > 2 and r.random() < 0.15:
            del st[int(r.integers(0, len(st)))]
        texts.append(bodies[j] + tag_suffix(st))
        ptags.append(tuple(st))
    w.add_posts(idx[mem], t, text=texts, tags=ptags, lang=spec["lang"], rng=r)
    spec["hashtag_sets"] = sets
    spec["slots"] = int(T.size)
    return np.bincount(mem, minlength=idx.size)


def op_repurposed(w: World, spec: dict, idx, p, lag, r) -> np.ndarray:
    m = idx.size
    L, vocab, tags = op_vocab(w, spec, r)
    tg, tposts = op_targets(w, spec, int(r.integers(3, 9)))
    hl = spec["lang"] if r.random() < 0.3 else str(r.choice([x for x in HOBBY_LANGS if x != spec["lang"]]))
    spec["hobby_lang"] = hl
    hg = REGION_INDEX[spec["region"] if hl == spec["lang"] else HOBBY_REGION[hl]]
    H = w.langs[hl]
    created = r.integers(14245, 16435, m)  # 2009 .. 2014
    w.set_acc(idx, "created", created)
    w.set_acc(idx, "acct_lang", [str(r.choice(REGIONS[hg][3])) for _ in range(m)])
    if not spec["traits"]["templated_bio"]:
        w.set_acc(idx, "bio", [w.organic_bio(r, hl) for _ in range(m)])
    w.set_acc(idx, "location", [w.location(r, hg) for _ in range(m)])
    switch = spec["start"] + int(r.uniform(0, 0.3) * (spec["end"] - spec["start"]))
    sw = switch + r.normal(0, 2 * DAY, m).astype(np.int64)
    dorm = r.uniform(20, 400, m) * DAY
    h_end = (sw - dorm).astype(np.int64)
    h_start = np.maximum(created * DAY + 30 * DAY, h_end - (r.uniform(90, 900, m) * DAY).astype(np.int64))
    h_start = np.minimum(h_start, h_end - 10 * DAY)
    nh = np.maximum(3, np.exp(r.normal(math.log(50 * max(w.s, 0.05)), 0.8, m))).astype(np.int64)
    author = np.repeat(np.arange(m), nh)
    htz = float(r.choice(REGIONS[hg][1]))
    ht = sample_times(r, h_start[author], h_end[author], 0, htz, 0)
    is_rt = r.random(author.size) < 0.3
    htags_src = HOBBY_TAGS.get(hl, HOBBY_TAGS["en"])
    o = ~is_rt
    no = int(o.sum())
    texts = H.texts(r, no, 3, 14, topic=H.hobby, share=0.3, emoji=0.25)
    htags = [(htags_src[int(r.integers(0, len(htags_src)))],) if r.random() < 0.3 else () for _ in range(no)]
    texts = [tx + tag_suffix(tt) for tx, tt in zip(texts, htags)]
    old_main, old_alt, _ = w.region_clients(r, np.full(m, hg))
    w.add_posts(idx[author[o]], ht[o], text=texts, tags=htags, lang=hl, client=old_main[author[o]].tolist(), rng=r)
    idols = make_external(w, 4, "idols-" + spec["tactic"], region=hg, lang=hl, rate=(0, 0), followers=(5e4, 5e6))
    nr = int(is_rt.sum())
    src = external_originals(w, r, idols[r.integers(0, 4, nr)], ht[is_rt] - (np.exp(r.normal(math.log(HOUR), 1.5, nr))).astype(np.int64), hl, H.hobby)
    w.retweet(idx[author[is_rt]], src, ht[is_rt] - w.P("t")[src], r, client=old_main[author[is_rt]])
    # political phase: co-retweets of the targets, own political posts
    n_ev = min(tposts.size, n_events(spec, p, 0.7))
    tp = tposts[w.P("t")[tposts] >= switch]
    evp = r.choice(tp, min(n_ev, tp.size), replace=False) if tp.size else np.zeros(0, dtype=np.int64)
    ev, mem = participants(r, p, evp.size)
    keep = w.P("t")[evp[ev]] >= sw[mem]
    ev, mem = ev[keep], mem[keep]
    w.retweet(idx[mem], evp[ev], op_delays(r, spec, lag[mem]), r)
    own = r.poisson(0.3 * spec["actions_per_member"] * p / max(p.mean(), 1e-6))
    oa = np.repeat(np.arange(m), own)
    ot = op_times(w, r, spec, oa.size, lo=np.maximum(sw[oa], spec["start"]))
    bodies = L.texts(r, oa.size, 6, 20, topic=vocab, share=0.4)
    otags = [tuple(str(x) for x in r.choice(tags, int(r.integers(1, 3)), replace=False)) if r.random() < 0.5 else () for _ in range(oa.size)]
    ments = [(int(tg[int(r.integers(0, tg.size))]),) if r.random() < 0.25 else () for _ in range(oa.size)]
    w.add_posts(idx[oa], ot, text=[b + tag_suffix(tt) for b, tt in zip(bodies, otags)], tags=otags, mentions=ments,
                lang=spec["lang"], rng=r)
    w.set_acc(idx, "t_lo", np.maximum(sw, spec["start"]))
    spec["switch_day"] = time.strftime("%Y-%m-%d", time.gmtime(switch // 1000))
    return np.bincount(mem, minlength=m) + own


def op_slow_persona(w: World, spec: dict, idx, p, lag, r) -> np.ndarray:
    m = idx.size
    L, vocab, tags = op_vocab(w, spec, r)
    tg, tposts = op_targets(w, spec, int(r.integers(3, 7)))
    w.set_acc(idx, "followers", np.minimum(4999, np.exp(r.normal(math.log(350), 0.9, m))).astype(np.int64))
    w.set_acc(idx, "purl", ["https://t.co/" + c if r.random() < 0.3 else "" for c in codes(r, m)])
    hubs = r.choice(m, int(r.integers(2, 5)), replace=False)
    nh = np.maximum(5, (r.uniform(20, 60, hubs.size) * w.s)).astype(np.int64)
    ha = np.repeat(hubs, nh)
    ttags = [str(x) for x in r.choice(tags, int(r.integers(1, 4)), replace=False)]
    hb = L.texts(r, ha.size, 6, 20, topic=vocab, share=0.35)
    htags = [(ttags[int(r.integers(0, len(ttags)))],) if r.random() < 0.5 else () for _ in range(ha.size)]
    hposts = w.add_posts(idx[ha], op_times(w, r, spec, ha.size), text=[b + tag_suffix(t) for b, t in zip(hb, htags)],
                         tags=htags, lang=spec["lang"], rng=r)
    domain = "".join(str(x) for x in r.choice(FARM_WORDS, 2, replace=False)) + "." + str(r.choice(FARM_TLDS[:4]))
    na = int(r.integers(6, 21))
    at = op_times(w, r, spec, na)
    heads = [L.join(x) for x in L.tokens(r, na, 6, 14, topic=vocab, share=0.4)]
    aurls = [f"https://{domain}/{time.strftime('%Y/%m', time.gmtime(t // 1000))}/{int(r.integers(1000, 99999))}/" for t in at.tolist()]
    aurls += [article_for(w, r, spec["lang"]) for _ in range(int(r.integers(3, 10)))]
    at = np.concatenate([at, op_times(w, r, spec, len(aurls) - na)])
    # events: target posts, hub posts, articles (negative ids)
    cand = np.concatenate([tposts, hposts, -1 - np.arange(len(aurls))])
    n_ev = n_events(spec, p)
    evs = r.choice(cand, n_ev, replace=cand.size < n_ev)
    ev_t = np.where(evs >= 0, w.P("t")[np.maximum(evs, 0)], at[np.clip(-1 - evs, 0, len(aurls) - 1)])
    ev, mem = participants(r, p, n_ev)
    post_author = w.P("author")
    ok = ~((evs[ev] >= 0) & (post_author[np.maximum(evs[ev], 0)] == idx[mem]))
    ev, mem = ev[ok], mem[ok]
    t = ev_t[ev] + op_delays(r, spec, lag[mem])
    act = r.choice(4, ev.size, p=[0.6, 0.15, 0.15, 0.1])
    isart = evs[ev] < 0
    rt = (~isart) & (act == 0)
    w.retweet(idx[mem[rt]], evs[ev[rt]], t[rt] - ev_t[ev[rt]], r)
    rest = np.nonzero(~rt)[0]
    bodies = L.texts(r, rest.size, 4, 16, topic=vocab, share=0.25)
    kinds, refs, texts, ptags, purls, ments = [], [], [], [], [], []
    for j, b in zip(rest.tolist(), bodies):
        e = int(evs[ev[j]])
        tt = (ttags[int(r.integers(0, len(ttags)))],) if r.random() < 0.4 else ()
        if e < 0:  # share the article with own words
            kinds.append(0)
            refs.append(-1)
            purls.append((aurls[-1 - e],))
            ments.append(())
            b += " https://t.co/" + codes(r, 1)[0]
        else:  # quote it, reply to it, or mention its author
            a = int(act[j])
            kinds.append(3 if a == 1 else 2 if a == 2 else 0)
            refs.append(e if a in (1, 2) else -1)
            purls.append(())
            ments.append((int(post_author[e]),) if a in (2, 3) else ())
        texts.append(b + tag_suffix(tt))
        ptags.append(tt)
    w.add_posts(idx[mem[rest]], t[rest], kind=np.array(kinds, dtype=np.int64), ref=np.array(refs, dtype=np.int64),
                text=texts, tags=ptags, urls=purls, mentions=ments, lang=spec["lang"], rng=r)
    spec["persona_domain"] = domain
    return np.bincount(mem, minlength=m) + np.bincount(ha, minlength=m)


def op_retweet_ring(w: World, spec: dict, idx, p, lag, r) -> np.ndarray:
    m = idx.size
    L, vocab, tags = op_vocab(w, spec, r)
    tg, tposts = op_targets(w, spec, int(r.integers(2, 6)))
    nsub = int(min(r.integers(1, 4), max(1, m // 12)))
    sub = r.integers(0, nsub, m)
    expected = np.array([p[sub == sub[i]].sum() - p[i] for i in range(m)]).mean()
    n_posts = int(max(5, round(0.8 * spec["actions_per_member"] * m / (1 + expected))))
    wts = np.exp(r.normal(0, 1, m)) * np.sqrt((p + 1e-3) / (p.mean() + 1e-3))
    authors = r.choice(m, n_posts, p=wts / wts.sum())
    T = op_times(w, r, spec, n_posts)
    bodies = L.texts(r, n_posts, 5, 20, topic=vocab, share=0.35)
    ptags = [tuple(str(x) for x in r.choice(tags, int(r.integers(1, 3)), replace=False)) if r.random() < 0.5 else () for _ in range(n_posts)]
    purls = [(article_for(w, r, spec["lang"]),) if r.random() < 0.15 else () for _ in range(n_posts)]
    texts = [b + tag_suffix(tt) + (" https://t.co/" + codes(r, 1)[0] if u else "") for b, tt, u in zip(bodies, ptags, purls)]
    posts = w.add_posts(idx[authors], T, text=texts, tags=ptags, urls=purls, lang=spec["lang"], rng=r)
    M = (r.random((n_posts, m)) < p[None, :]) & (sub[None, :] == sub[authors][:, None])
    M[np.arange(n_posts), authors] = False
    ev, mem = np.nonzero(M)
    w.retweet(idx[mem], posts[ev], op_delays(r, spec, lag[mem]), r)
    n_ext = min(tposts.size, n_events(spec, p, 0.2))
    evp = r.choice(tposts, n_ext, replace=False) if n_ext else np.zeros(0, dtype=np.int64)
    ev2, mem2 = participants(r, p, evp.size)
    w.retweet(idx[mem2], evp[ev2], op_delays(r, spec, lag[mem2]), r)
    spec["subrings"] = nsub
    spec["ring_posts"] = n_posts
    return np.bincount(authors, minlength=m) + np.bincount(mem, minlength=m) + np.bincount(mem2, minlength=m)


def op_link_farm(w: World, spec: dict, idx, p, lag, r) -> np.ndarray:
    L, vocab, tags = op_vocab(w, spec, r)
    nd = int(r.integers(2, 6))
    domains = []
    while len(domains) < nd:
        d = "".join(str(x) for x in r.choice(FARM_WORDS, 2, replace=False)) + "." + str(r.choice(FARM_TLDS))
        if r.random() < 0.3:
            d = d.replace(".", "-" + str(r.choice(vocab)).lower()[:6] + ".", 1) if L.sep and SCRIPT[spec["lang"]] == "latin" else d
        if d not in domains:
            domains.append(d)
    styles = r.integers(0, 4, nd)
    n_art = n_events(spec, p)
    dw = 1.0 / (np.arange(nd) + 1.0)
    dom = r.choice(nd, n_art, p=dw / dw.sum())
    T = op_times(w, r, spec, n_art)
    toks = L.tokens(r, n_art, 6, 14, topic=vocab, share=0.45)
    heads = [L.join(x) for x in toks]
    short = r.random() < 0.4
    urls, shorts = [], []
    for a in range(n_art):
        d, st, aid = domains[dom[a]], int(styles[dom[a]]), int(r.integers(1000, 999999))
        ymd = time.strftime("%Y/%m/%d", time.gmtime(int(T[a]) // 1000))
        slug = "-".join(x.lower() for x in toks[a][:6] if x.isalpha()) if SCRIPT[spec["lang"]] == "latin" else str(aid)
        urls.append([f"https://{d}/{ymd}/{slug}/", f"https://{d}/?p={aid}", f"https://{d}/news/{aid}.html",
                     f"https://www.{d}/article/{slug}-{aid}"][st])
        shorts.append("https://bit.ly/" + codes(r, 1, 7)[0] if short else "")
    ev, mem = participants(r, p, n_art)
    t = T[ev] + op_delays(r, spec, lag[mem])
    exact = r.random(ev.size) < spec["copy_exact"]
    own = L.texts(r, ev.size, 3, 10, topic=vocab, share=0.3)
    utm = r.random(idx.size) < 0.3
    texts, ptags, purls = [], [], []
    for j, e in enumerate(ev.tolist()):
        tt = (str(tags[int(r.integers(0, len(tags)))]),) if r.random() < 0.3 else ()
        body = heads[e] if exact[j] else (own[j] + (" " + heads[e] if r.random() < 0.4 else ""))
        texts.append(body + tag_suffix(tt) + " https://t.co/" + codes(r, 1)[0])
        ptags.append(tt)
        u = shorts[e] if shorts[e] and r.random() < 0.6 else urls[e] + (f"?utm_source=twitter&utm_campaign={codes(r, 1, 6)[0]}" if utm[mem[j]] else "")
        purls.append((u,))
    posts = w.add_posts(idx[mem], t, text=texts, tags=ptags, urls=purls, lang=spec["lang"], rng=r)
    # some members retweet another member's share of the same article instead of sharing it
    first = {}
    for j, e in enumerate(ev.tolist()):
        if e not in first or t[j] < t[first[e]]:
            first[e] = j
    k = r.random(ev.size) < 0.1
    src = np.array([first[e] for e in ev.tolist()], dtype=np.int64)
    k &= src != np.arange(ev.size)
    k &= idx[mem] != idx[mem[src]]
    w.retweet(idx[mem[k]], posts[src[k]], op_delays(r, spec, lag[mem[k]]), r)
    spec["domains"] = domains
    spec["articles"] = n_art
    return np.bincount(mem, minlength=idx.size) + np.bincount(mem[k], minlength=idx.size)


OP_FUNCS = {"copy_paste": op_copy_paste, "hashtag_campaign": op_hashtag_campaign, "repurposed": op_repurposed,
            "slow_persona": op_slow_persona, "retweet_ring": op_retweet_ring, "link_farm": op_link_farm}


def make_ops(w: World) -> None:
    for spec in plan_ops(w):
        r = w.rng("op-run", spec["tactic"])
        idx, p, lag = op_members(w, spec, r)
        w.ops.append(spec)
        coord = OP_FUNCS[spec["tactic"]](w, spec, idx, p, lag, r)
        c = spec["camouflage"]
        bg = coord * c / max(1 - c, 0.05) * np.exp(r.normal(0, 0.4, idx.size)) + r.poisson(2 * w.s, idx.size)
        w.set_acc(idx, "bg", np.round(bg).astype(np.int64))
        spec["coordinated_posts"] = int(coord.sum())
        spec["members_without_action"] = int((coord == 0).sum())


# --------------------------------------------------------------------------------------------
# organic look-alikes

VOTE_TEMPLATES = ["I vote for #{c} for #{a}", "Voting #{c} for #{a} 🗳️", "#{a} #{c} 💜", "my vote goes to #{c} #{a}"]
BOT_TEMPLATES = ["{h} {u}", "{h} #news {u}", "{o}: {h} {u}", "BREAKING: {h} {u}", "📰 {h} {u}", "{h} via {o} {u}"]


def lookalike_size(w: World, r: np.random.Generator, lo: int, hi: int) -> int:
    return max(5, int(round(r.integers(lo, hi + 1) * float(w.k["lookalike_scale"]) * min(1.0, w.n_accounts / 5000))))


def make_fan_clubs(w: World, celebs: np.ndarray) -> None:
    r = w.rng("fan-clubs")
    coh = float(w.k["cohesion"])
    n_clubs = int(min(r.integers(2, 4), celebs.size))
    region = w.A("region")
    for c in r.choice(celebs, n_clubs, replace=False).tolist():
        size = lookalike_size(w, r, 30, 100)
        regs = np.where(r.random(size) < 0.6, region[c], r.choice(len(REGIONS), size=size, p=w.region_w))
        idx = w.organic_accounts(size, "fan", regions=regs, tactic="hn_fan_club", name=str(c))
        ftags = list(w.celeb_tags[c]) + [str(x) for x in r.choice(FAN_TAGS, 2, replace=False)]
        w.community_tags[f"fan:{c}"] = ftags
        w.set_acc(idx, "bg_topic", f"fan:{c}")
        w.set_acc(idx, "tag_rate", np.clip(r.beta(2, 4, size) + 0.1, 0, 1))
        cp = posts_of(w, np.array([c]))
        pf = np.clip(r.beta(2, 3, size) * (0.3 + 0.8 * coh), 0, 0.95) * min(1.0, w.s)
        speed = loguniform(r, 20, 1200, size) * (1.5 - coh) * SECOND
        ev, mem = np.nonzero(r.random((cp.size, size)) < pf[None, :])
        w.retweet(idx[mem], cp[ev], lognormal_delay(r, speed[mem], 1.2, ev.size), r)
        ev, mem = np.nonzero(r.random((cp.size, size)) < 0.08 * pf[None, :])
        zipf = 1.0 / (np.arange(len(FAN_REPLIES)) + 1.0)
        texts = [FAN_REPLIES[i] for i in r.choice(len(FAN_REPLIES), ev.size, p=zipf / zipf.sum()).tolist()]
        t = w.P("t")[cp[ev]] + np.maximum(lognormal_delay(r, 3 * speed[mem], 1.2, ev.size), 3 * SECOND)
        w.add_posts(idx[mem], t, kind=2, ref=cp[ev], text=texts, mentions=[(c,)] * ev.size, rng=r)
        # voting days: near-identical templated tweets with the same award hashtags
        for d in r.choice(np.arange(w.T0 // DAY, w.T1 // DAY), int(r.integers(2, 5)), replace=False).tolist():
            on = r.random(size) < 0.3 + 0.6 * coh
            k = np.where(on, 1 + r.poisson(2 * coh, size), 0)
            a = np.repeat(np.arange(size), k)
            tz = w.A("tz")[idx[a]]
            t = sample_times(r, np.full(a.size, d * DAY), d * DAY + DAY, 0, tz, 0)
            award = str(r.choice(FAN_TAGS))
            tmpl = [VOTE_TEMPLATES[i] for i in r.integers(0, len(VOTE_TEMPLATES), a.size).tolist()]
            texts = [x.format(c=ftags[0], a=award) for x in tmpl]
            w.add_posts(idx[a], t, text=texts, tags=[(ftags[0], award) if x.index("{c}") < x.index("{a}") else (award, ftags[0]) for x in tmpl],
                        lang="en", rng=r)


def make_activists(w: World) -> None:
    r = w.rng("activists")
    coh = float(w.k["cohesion"])
    for c in range(int(r.integers(1, 3))):
        size = lookalike_size(w, r, 50, 150)
        g = int(r.choice([REGION_INDEX[x] for x in OP_REGIONS]))
        regs = np.where(r.random(size) < 0.85, g, r.choice(len(REGIONS), size=size, p=w.region_w))
        idx = w.organic_accounts(size, "activist", regions=regs, tactic="hn_activist", name=str(c))
        lang = REGIONS[g][2]
        L = w.langs[lang]
        ctags = L.tags(r, int(r.integers(2, 6)), L.politics)
        if lang == "en" and r.random() < 0.5:
            ctags[0] = str(r.choice(["ClimateStrike", "FridaysForFuture", "SaveOurNHS", "RefugeesWelcome", "MeToo"]))
        key = f"act:{c}"
        w.community_tags[key] = ctags
        w.set_acc(idx, "bg_topic", key)
        w.set_acc(idx, "lang", lang)
        w.set_acc(idx, "tag_rate", np.clip(r.beta(2, 4, size) + 0.1, 0, 1))
        slogans = [L.join(x) for x in L.tokens(r, int(r.integers(1, 4)), 6, 12, topic=L.politics, share=0.5)]
        leaders = r.choice(size, min(size, int(r.integers(3, 7))), replace=False)
        w.set_acc(idx[leaders], "followers", np.exp(r.normal(math.log(4000), 0.8, leaders.size)).astype(np.int64))
        tz = w.A("tz")[idx]
        for d in r.choice(np.arange(w.T0 // DAY, w.T1 // DAY), int(r.integers(3, 7)), replace=False).tolist():
            hour = r.uniform(10, 18)
            on = r.random(size) < 0.3 + 0.5 * coh
            k = np.where(on, 1 + r.poisson(1.5 * coh, size), 0)
            a = np.repeat(np.arange(size), k)
            lh = np.clip(r.normal(hour, 2.5, a.size), 7, 23.9)
            t = (d * DAY + lh * HOUR - tz[a] * HOUR).astype(np.int64)
            slog = r.random(a.size) < 0.5 * coh
            own = L.texts(r, a.size, 4, 16, topic=L.politics, share=0.3)
            texts, ptags = [], []
            for j in range(a.size):
                tt = [str(x) for x in r.choice(ctags, int(r.integers(1, min(3, len(ctags)) + 1)), replace=False)]
                body = slogans[int(r.integers(0, len(slogans)))] if slog[j] else own[j]
                texts.append(body + tag_suffix(tt))
                ptags.append(tuple(tt))
            w.add_posts(idx[a], t, text=texts, tags=ptags, lang=lang, rng=r)
            la = np.repeat(leaders, r.integers(2, 6, leaders.size))
            lt = (d * DAY + np.clip(r.normal(hour, 2, la.size), 7, 23) * HOUR - tz[la] * HOUR).astype(np.int64)
            lt_tags = [tuple(str(x) for x in r.choice(ctags, 1)) for _ in range(la.size)]
            lp = w.add_posts(idx[la], lt, text=[b + tag_suffix(tt) for b, tt in zip(L.texts(r, la.size, 6, 18, topic=L.politics, share=0.3), lt_tags)],
                             tags=lt_tags, lang=lang, rng=r)
            ev, mem = np.nonzero(r.random((lp.size, size)) < 0.25 * coh * 2 * min(1.0, w.s))
            keep = idx[mem] != w.P("author")[lp[ev]]
            ev, mem = ev[keep], mem[keep]
            w.retweet(idx[mem], lp[ev], lognormal_delay(r, 40 * MINUTE, 1.3, ev.size), r)


def article_pools(w: World) -> dict[str, Pool]:
    a = w.articles
    t = np.array(a["t"], dtype=np.int64)
    v = np.array(a["viral"])
    lg = np.array(a["lang"], dtype=object)
    pools = {"*": Pool(t, v, np.arange(t.size))}
    for code in COMMON:
        m = lg == code
        if m.any():
            pools[code] = Pool(t[m], v[m], np.nonzero(m)[0])
    return pools


def make_news_sharers(w: World) -> None:
    r = w.rng("news-sharers")
    coh = float(w.k["cohesion"])
    n = max(5, int(round(0.04 * w.n_accounts * float(w.k["lookalike_scale"]))))
    idx = w.organic_accounts(n, "sharer", tactic="hn_news_sharer")
    k = np.maximum(1, np.exp(r.normal(math.log(25 * w.s), 1.0, n))).astype(np.int64)
    a = np.repeat(np.arange(n), k)
    acc = idx[a]
    t = sample_times(r, np.full(a.size, w.T0), w.T1, 0, w.A("tz")[acc], w.A("shift")[acc])
    pools = article_pools(w)
    lang = w.A("lang")[acc]
    art = np.full(a.size, -1, dtype=np.int64)
    back = lognormal_delay(r, 2 * HOUR, 1.0, a.size)
    for code in sorted(set(lang.tolist())):
        m = lang == code
        art[m] = pools.get(code, pools["*"]).pick(r, t[m], back[m])
    ok = art >= 0
    acc, t, art = acc[ok], t[ok], art[ok]
    A = w.articles
    outlet = np.array(A["outlet"])[art]
    apost = np.array(A["post"])[art]
    how = r.choice(3, art.size, p=[0.2 + 0.5 * coh, 0.2, 0.6 - 0.5 * coh])  # share button, retweet, own words
    rt = how == 1
    w.retweet(acc[rt], apost[rt], t[rt] - w.P("t")[apost[rt]], r)
    rest = np.nonzero(~rt)[0]
    texts, purls, ments, langs = [], [], [], []
    screen = w.A("screen")
    tco = codes(r, rest.size)
    for j, i in enumerate(rest.tolist()):
        e = int(art[i])
        if how[i] == 0:
            body = f"{A['headline'][e]} via @{screen[outlet[i]]}"
            ments.append((int(outlet[i]),))
            u = A["url"][e]
            langs.append(A["lang"][e])
        else:
            body = w.langs[lang_of(w, int(acc[i]))].texts(r, 1, 3, 12)[0]
            ments.append(())
            u = A["short"][e] if A["short"][e] and r.random() < 0.5 else A["url"][e] + ("?utm_source=share" if r.random() < 0.3 else "")
            langs.append(lang_of(w, int(acc[i])))
        texts.append(body + " https://t.co/" + tco[j])
        purls.append((u,))
    w.add_posts(acc[rest], t[rest], text=texts, urls=purls, mentions=ments, lang=langs, rng=r)


def lang_of(w: World, i: int) -> str:
    return w.acc["lang"][i]


def make_news_bots(w: World, news: np.ndarray) -> None:
    r = w.rng("news-bots")
    coh = float(w.k["cohesion"])
    n = max(4, int(round(r.uniform(15, 40) * float(w.k["lookalike_scale"]) * w.n_accounts / 5000)))
    idx = w.organic_accounts(n, "newsbot", tactic="hn_news_bot")
    owner = np.sort(r.integers(0, max(1, n // 3), n))
    w.set_acc(idx, "profile", np.full(n, 2))
    w.set_acc(idx, "followers", np.minimum(4999, np.exp(r.normal(math.log(60), 1.2, n))).astype(np.int64))
    w.set_acc(idx, "eng", np.full(n, 0.1))
    w.set_acc(idx, "bg", np.zeros(n, dtype=np.int64))
    A = w.articles
    at = np.array(A["t"], dtype=np.int64)
    aout = np.array(A["outlet"])
    ahash = r.random(at.size)  # "keyword filter": bots with similar thresholds post the same articles
    fol = w.A("followers")[news].astype(float)
    screen = w.A("display")
    out_a, out_t, out_txt, out_url, out_lang, out_client = [], [], [], [], [], []
    for o in np.unique(owner).tolist():
        bots = np.nonzero(owner == o)[0]
        client = str(r.choice(BOT_CLIENTS))
        tmpl = BOT_TEMPLATES[int(r.integers(0, len(BOT_TEMPLATES)))]
        utm = r.random() < 0.5
        base_day = int(r.integers(15000, w.T0 // DAY - 30))
        w.set_acc(idx[bots], "created", base_day + r.integers(0, 6, bots.size))
        topic = str(r.choice(["World", "Breaking", "Politics", "Business", "Sports", "Tech", "Local"]))
        feeds_o = r.choice(news, int(min(news.size, r.integers(1, 4))), replace=False, p=fol / fol.sum())
        for b in bots.tolist():
            period = int(r.choice([5, 10, 15, 30, 60])) * MINUTE
            offset = int(r.integers(0, period))
            w.set_acc(idx[[b]], "bio", f"{topic} headlines, updated every {period // MINUTE} minutes. Automated account.")
            w.set_acc(idx[[b]], "client_main", client)
            w.set_acc(idx[[b]], "p_main", 1.0)
            feeds = feeds_o if r.random() < 0.5 + 0.5 * coh else r.choice(news, int(r.integers(1, 3)), replace=False)
            f = float(np.clip(r.uniform(0.2, 1.0) * (0.5 + coh), 0.05, 1.0))
            sel = np.nonzero(np.isin(aout, feeds) & (ahash < f))[0]
            tp = ((at[sel] - offset) // period + 1) * period + offset + r.integers(1, 40, sel.size) * SECOND
            for e, tt in zip(sel.tolist(), tp.tolist()):
                u = A["url"][e] + ("?utm_source=rss&utm_medium=" + client.split(".")[0].lower() if utm else "")
                if client == "dlvr.it" and r.random() < 0.7:
                    u = "https://dlvr.it/" + codes(r, 1, 6)[0]
                out_a.append(int(idx[b]))
                out_t.append(tt)
                out_txt.append(tmpl.format(h=A["headline"][e], o=screen[A["outlet"][e]], u="https://t.co/" + codes(r, 1)[0]))
                out_url.append((u,))
                out_lang.append(A["lang"][e])
                out_client.append(client)
    cap = int(0.03 * w.n_tweets)
    keep = np.arange(len(out_a))
    if keep.size > cap:
        keep = np.sort(r.choice(keep, cap, replace=False))
    kl = keep.tolist()
    w.add_posts(np.array(out_a, dtype=np.int64)[keep], np.array(out_t, dtype=np.int64)[keep],
                text=[out_txt[i] for i in kl], urls=[out_url[i] for i in kl], lang=[out_lang[i] for i in kl],
                client=[out_client[i] for i in kl], rng=r)


# --------------------------------------------------------------------------------------------
# everyone's ordinary activity


def texts_by_lang(w: World, r: np.random.Generator, langs: np.ndarray, lo: int, hi: int) -> list[str]:
    out: list[str] = [""] * langs.size
    for code in sorted(set(langs.tolist())):
        ix = np.nonzero(langs == code)[0]
        for i, t in zip(ix.tolist(), w.langs[code].texts(r, ix.size, lo, hi)):
            out[i] = t
    return out


def trending(w: World, r: np.random.Generator) -> tuple[dict[str, Pool], list[str]]:
    """Per language, hashtags that trend for a day or so (many unrelated users, within hours)."""
    names: list[str] = []
    pools: dict[str, Pool] = {}
    days = int(w.k["days"])
    for code in sorted(COMMON):
        L = w.langs[code]
        k = int(days * r.uniform(1, 3))
        t = w.T0 + (r.random(k) * (w.T1 - w.T0)).astype(np.int64)
        base = len(names)
        for tg in L.tags(r, k, L.vocab[:600]):
            names.append(tg + (str(int(r.integers(17, 21))) if r.random() < 0.2 else ""))
        pools[code] = Pool(t, np.exp(r.normal(0, 1.0, k)), np.arange(base, base + k))
    return pools, names


def region_tag_pools(w: World, r: np.random.Generator) -> dict[str, list[str]]:
    out = {}
    for code in sorted(COMMON):
        L = w.langs[code]
        out[code] = list(REGION_TAGS[code]) + L.tags(r, 150, L.vocab[:800])
    return out


def background(w: World) -> None:
    r = w.rng("background")
    kinds = w.A("kind")
    n_acc = kinds.size
    budget = max(0, w.n_tweets - w.n_written())
    bg = w.A("bg").astype(np.int64)
    eligible = (kinds != "external") & (kinds != "news") & (kinds != "newsbot")
    fixed = eligible & (bg >= 0)
    flex = eligible & (bg < 0)
    if bg[fixed].sum() > 0.5 * budget:
        bg[fixed] = np.floor(bg[fixed] * 0.5 * budget / bg[fixed].sum()).astype(np.int64)
    wt = np.where(flex, np.exp(r.normal(0, 1.4, n_acc)), 0.0)
    wt[(kinds == "ordinary") & (r.random(n_acc) < 0.03)] = 0.0
    wt[kinds == "celebrity"] *= 0.3
    counts = np.zeros(n_acc, dtype=np.int64)
    rest = budget - int(bg[fixed].sum())
    if wt.sum() > 0 and rest > 0:
        counts = r.multinomial(rest, wt / wt.sum()).astype(np.int64)
    counts[fixed] = bg[fixed]
    acc = np.repeat(np.arange(n_acc), counts)
    n = acc.size
    A = {f: w.A(f) for f in ("rt_share", "reply_share", "quote_share", "t_lo", "t_hi", "profile", "office",
                              "office_tz", "tz", "shift", "created", "region", "lang", "bg_topic", "tag_rate",
                              "url_rate", "mention_rate", "followers", "eng", "intl")}
    u = r.random(n)
    rs, ps, qs = A["rt_share"][acc], A["reply_share"][acc], A["quote_share"][acc]
    kind = np.where(u < rs, 1, np.where(u < rs + ps, 2, np.where(u < rs + ps + qs, 3, 0)))
    lo = np.where(A["t_lo"][acc] > 0, A["t_lo"][acc], w.T0)
    hi = np.where(A["t_hi"][acc] > 0, A["t_hi"][acc], w.T1)
    # a share of users joined late, left early or came back from a break
    part = r.random(n_acc) < 0.15
    a0 = w.T0 + (r.random(n_acc) * 0.6 * (w.T1 - w.T0)).astype(np.int64)
    a1 = a0 + (r.uniform(0.2, 0.4, n_acc) * (w.T1 - w.T0)).astype(np.int64)
    pm = part[acc] & (A["t_lo"][acc] == 0)
    lo = np.where(pm, a0[acc], lo)
    hi = np.where(pm, np.minimum(a1[acc], w.T1), hi)
    office = r.random(n) < A["office"][acc]
    prof = np.where(office, 1, A["profile"][acc])
    tz = np.where(office, A["office_tz"][acc], A["tz"][acc])
    t = sample_times(r, lo, hi, prof, tz, A["shift"][acc])
    # old tweets from before the window for some organic accounts (an account's history)
    hist = (r.random(n_acc) < 0.08) & (kinds != "op")
    hm = hist[acc] & (kind == 0) & (r.random(n) < 0.3)
    hlo = np.maximum(A["created"][acc[hm]] * DAY + 30 * DAY, w.T0 - 730 * DAY)
    t[hm] = sample_times(r, hlo, np.maximum(hlo + DAY, w.T0 - 7 * DAY), 0, A["tz"][acc[hm]], 0)
    # bursts: some tweets follow another of the same account within minutes
    starts = np.cumsum(counts) - counts
    burst = (r.random(n) < 0.3) & (counts[acc] > 1)
    j = starts[acc] + (r.random(n) * counts[acc]).astype(np.int64)
    t = np.where(burst, t[j] + np.exp(r.normal(math.log(4 * MINUTE), 1.0, n)).astype(np.int64), t)
    langs = A["lang"][acc]
    langs = np.where((r.random(n) < 0.07) & (langs != "en"), "en", langs).astype(object)
    tpools, tnames = trending(w, r)
    rtags = region_tag_pools(w, r)
    apools = article_pools(w)
    region = A["region"]
    members = [np.nonzero((region == g) & eligible)[0] for g in range(len(REGIONS))]

    def originals(sel: np.ndarray) -> None:
        a, tt, lg = acc[sel], t[sel], langs[sel]
        texts = texts_by_lang(w, r, lg, 3, 20)
        m = sel.size
        tagged = r.random(m) < A["tag_rate"][a]
        ntag = 1 + (r.random(m) < 0.3) + (r.random(m) < 0.1)
        trend = np.full(m, -1, dtype=np.int64)
        for code in sorted(set(lg.tolist())):
            mm = (lg == code) & tagged & (r.random(m) < 0.35)
            if mm.any():
                trend[mm] = tpools[code].pick(r, tt[mm], np.full(int(mm.sum()), 30 * HOUR))
        has_url = r.random(m) < A["url_rate"][a]
        art = np.full(m, -1, dtype=np.int64)
        use_art = has_url & (r.random(m) < 0.55)
        for code in sorted(set(lg.tolist())):
            mm = use_art & (lg == code)
            if mm.any():
                art[mm] = apools.get(code, apools["*"]).pick(r, tt[mm], lognormal_delay(r, 6 * HOUR, 1.2, int(mm.sum())))
        ment = r.random(m) < A["mention_rate"][a]
        out_t, out_tags, out_urls, out_m = [], [], [], []
        tco = codes(r, m)
        topics = A["bg_topic"][a].tolist()
        for i in range(m):
            tags: list[str] = []
            if tagged[i]:
                comm = w.community_tags.get(topics[i]) if topics[i] else None
                for _ in range(int(ntag[i])):
                    if comm and r.random() < 0.6:
                        tg = comm[int(r.integers(0, len(comm)))]
                    elif trend[i] >= 0 and not tags:
                        tg = tnames[int(trend[i])]
                    else:  # a regional hashtag, heavy-tailed popularity
                        pool = rtags[lg[i]]
                        tg = pool[min(len(pool) - 1, int(r.pareto(1.1)))]
                    if tg not in tags:
                        tags.append(tg)
            urls: tuple = ()
            body = texts[i] + tag_suffix(tags)
            if has_url[i]:
                if art[i] >= 0:
                    e = int(art[i])
                    s = w.articles["short"][e]
                    urls = (s if s and r.random() < 0.4 else w.articles["url"][e],)
                else:
                    d = GENERIC_DOMAINS[int(r.integers(0, len(GENERIC_DOMAINS)))]
                    urls = ("https://" + d + codes(r, 1, 11)[0],)
                body += " https://t.co/" + tco[i]
            mm_: tuple = ()
            if ment[i]:
                g = members[region[a[i]]]
                if g.size:
                    mm_ = (int(g[int(r.integers(0, g.size))]),)
            out_t.append(body)
            out_tags.append(tuple(tags))
            out_urls.append(urls)
            out_m.append(mm_)
        w.add_posts(a, tt, text=out_t, tags=out_tags, urls=out_urls, mentions=out_m, lang=lg.tolist(), rng=r)

    originals(np.nonzero(kind == 0)[0])
    # retweets, replies and quotes of what was posted recently in the account's region
    P_a, P_t, P_k = w.P("author"), w.P("t"), w.P("kind")
    cand = np.nonzero((P_k == 0) | (P_k == 3))[0]
    ca = P_a[cand]
    akind = kinds[ca]
    mult = np.where(akind == "op", 0.1, np.where(akind == "newsbot", 0.05, 1.0))
    cw = (A["followers"][ca] + 20.0) ** 0.75 * np.exp(r.normal(0, 1.0, cand.size)) * np.sqrt(A["eng"][ca]) * mult
    creg = region[ca]
    cintl = A["intl"][ca] > 0
    react = np.nonzero(kind > 0)[0]
    ref = np.full(react.size, -1, dtype=np.int64)
    rreg = region[acc[react]]
    back = lognormal_delay(r, 6 * HOUR, 1.2, react.size)
    for g in range(len(REGIONS)):
        mm = rreg == g
        if mm.any():
            pm = (creg == g) | cintl
            ref[mm] = Pool(P_t[cand[pm]], cw[pm], cand[pm]).pick(r, t[react[mm]], back[mm])
    bad = (ref < 0) | (P_a[np.maximum(ref, 0)] == acc[react])
    kind[react[bad]] = 0
    originals(react[bad])
    react, ref = react[~bad], ref[~bad]
    rk = kind[react]
    m1 = rk == 1
    w.retweet(acc[react[m1]], ref[m1], t[react[m1]] - P_t[ref[m1]], r)
    m23 = ~m1
    sel = react[m23]
    texts = texts_by_lang(w, r, langs[sel], 2, 16)
    w.add_posts(acc[sel], t[sel], kind=rk[m23], ref=ref[m23], text=texts,
                mentions=[(int(P_a[x]),) if k == 2 else () for x, k in zip(ref[m23].tolist(), rk[m23].tolist())],
                lang=langs[sel].tolist(), rng=r)


def fit_to_budget(w: World) -> np.ndarray:
    """Exactly n_tweets written rows: top up with ordinary posts, or drop unreferenced background rows."""
    r = w.rng("fit")
    diff = w.n_tweets - w.n_written()
    kinds = w.A("kind")
    if diff > 0:
        ordinary = np.nonzero(kinds == "ordinary")[0]
        a = r.choice(ordinary, diff)
        t = sample_times(r, np.full(diff, w.T0), w.T1, 0, w.A("tz")[a], w.A("shift")[a])
        lg = w.A("lang")[a]
        w.add_posts(a, t, text=texts_by_lang(w, r, lg, 3, 18), lang=lg.tolist(), rng=r)
    n = len(w.posts["author"])
    drop = np.zeros(n, dtype=bool)
    if diff < 0:
        ref = w.P("ref")
        referenced = np.zeros(n, dtype=bool)
        referenced[ref[ref >= 0]] = True
        ak = kinds[w.P("author")]
        cand = np.nonzero(~referenced & np.isin(ak, ["ordinary", "sharer", "fan", "activist", "celebrity"]))[0]
        drop[r.choice(cand, min(-diff, cand.size), replace=False)] = True
    return drop


# --------------------------------------------------------------------------------------------
# ids, rendering, files


def legacy_user_id(r: np.random.Generator, day: int) -> int:
    x = np.interp(day, [14000, 15340, 16400, 16800], [math.log(1.5e7), math.log(5e8), math.log(3e9), math.log(4.2e9)])
    return int(math.exp(x) * r.uniform(0.97, 1.03))


def finalize_accounts(w: World) -> None:
    """Ids and names. Accounts under 5,000 followers are hashed: userid = screen name = display name
    = one 44-character base64 string; their real-looking handle only shows in tweet texts (@handle)."""
    r = w.rng("account-ids")
    n = len(w.acc["kind"])
    fol = w.A("followers")
    created = w.A("created")
    uid, screen, display = list(w.acc["uid"]), list(w.acc["screen"]), list(w.acc["display"])
    seen: set[str] = set()
    handles: set[str] = set(x for x in screen if x)
    handle = list(screen)
    for i in range(n):
        while True:
            if fol[i] < 5000:
                u = base64.b64encode(r.bytes(32)).decode()
            elif created[i] >= 16800:
                ms = int(created[i]) * DAY + int(r.integers(0, DAY))
                u = str(((ms - SNOWFLAKE_EPOCH) << 22) | int(r.integers(0, 1 << 22)))
            else:
                u = str(legacy_user_id(r, int(created[i])))
            if u not in seen:
                seen.add(u)
                break
        uid[i] = u
        if not handle[i]:
            f, last = person_name(r)
            while True:
                style = int(r.integers(0, 5))
                h = [f"{f}{last}{int(r.integers(1, 999))}", f"{f.lower()}_{last.lower()}{int(r.integers(0, 99))}",
                     f"{f[0]}{last}{int(r.integers(1, 9999))}", f"{last}{f}{int(r.integers(10, 99))}",
                     f"{f.lower()}{int(r.integers(1000, 99999999))}"][style].replace("-", "")[:15]
                if h not in handles:
                    handles.add(h)
                    break
            handle[i] = h
            display[i] = f"{f} {last}" if r.random() < 0.8 else f"{f} {last} {EMOJI[int(r.integers(0, len(EMOJI)))]}"
        if fol[i] < 5000:
            screen[i] = display[i] = u
        else:
            screen[i] = handle[i]
    w.acc["uid"], w.acc["screen"], w.acc["display"] = uid, screen, display
    w.handle = np.array(handle, dtype=object)
    w._cache.clear()


def tweet_ids(w: World, minute_only: bool) -> np.ndarray:
    r = w.rng("tweet-ids")
    t = w.P("t")
    n = t.size
    if minute_only:
        ids = r.integers(10**17, 10**18, n, dtype=np.int64)
    else:
        ids = ((t - SNOWFLAKE_EPOCH) << 22) | r.integers(0, 1 << 22, n)
        old = t < SNOWFLAKE_EPOCH  # before snowflakes: small sequential-looking ids
        t2009 = 14245 * DAY
        ids[old] = (np.clip(t[old] - t2009, 0, None) / (SNOWFLAKE_EPOCH - t2009) * 2.9e10).astype(np.int64) + 10**9 + r.integers(0, 1000, int(old.sum()))
    for _ in range(100):
        dec = (ids >> 22) + SNOWFLAKE_EPOCH
        same_minute = (dec // MINUTE) == (t // MINUTE)
        bad = same_minute if minute_only else np.zeros(n, dtype=bool)
        _, first = np.unique(ids, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        bad |= dup
        if not bad.any():
            break
        k = int(bad.sum())
        if minute_only:
            ids[bad] = r.integers(10**17, 10**18, k, dtype=np.int64)
        else:
            ids[bad] = np.where(t[bad] < SNOWFLAKE_EPOCH, ids[bad] + r.integers(1, 1000, k),
                                ((t[bad] - SNOWFLAKE_EPOCH) << 22) | r.integers(0, 1 << 22, k))
    return ids


def engagement(w: World, r: np.random.Generator) -> dict[str, np.ndarray]:
    kind, ref, author = w.P("kind"), w.P("ref"), w.P("author")
    n = kind.size
    out = {}
    for name, k in (("retweet_count", 1), ("reply_count", 2), ("quote_count", 3)):
        m = (kind == k) & (ref >= 0)
        out[name] = np.bincount(ref[m], minlength=n)
    fol = w.A("followers")[author].astype(float)
    eng = w.A("eng")[author]
    base = fol * 0.0015 * eng * np.exp(r.normal(0, 1.0, n))
    rt = out["retweet_count"] + r.poisson(base)
    likes = r.poisson(base * r.uniform(2, 6, n) + 1.5 * rt)
    res = {
        "retweet_count": rt, "like_count": likes,
        "reply_count": out["reply_count"] + r.poisson(base * 0.15),
        "quote_count": out["quote_count"] + r.poisson(base * 0.05),
    }
    orig = kind != 1
    return {k: np.where(orig, v, 0) for k, v in res.items()}


def write_world(w: World, out: Path, drop: np.ndarray, minute_only: bool) -> dict:
    finalize_accounts(w)
    r = w.rng("write")
    akind = w.A("kind")
    uid, handle = w.A("uid"), w.handle
    ids = tweet_ids(w, minute_only)
    author, kind, ref, t = w.P("author"), w.P("kind"), w.P("ref"), w.P("t")
    texts, tags, urls, ments = w.posts["text"], w.posts["tags"], w.posts["urls"], w.posts["mentions"]
    n = author.size
    rendered: list[str] = [""] * n
    for i in np.nonzero(kind != 1)[0].tolist():
        tx = texts[i]
        ms = ments[i]
        if kind[i] == 2 and ref[i] >= 0:
            tx = "@" + handle[author[ref[i]]] + " " + tx
        for m in ms:
            h = "@" + handle[m]
            if h not in tx:
                tx = tx + " " + h
        rendered[i] = tx
    for i in np.nonzero(kind == 1)[0].tolist():
        o = int(ref[i])
        tx = "RT @" + handle[author[o]] + ": " + rendered[o]
        rendered[i] = tx if len(tx) <= 140 else tx[:139] + "…"
    eng = engagement(w, r)
    keep = np.nonzero((akind[author] != "external") & ~drop)[0]
    if minute_only:
        keep = keep[np.lexsort((ids[keep], t[keep] // MINUTE))]
    else:
        keep = keep[np.argsort(ids[keep], kind="stable")]
    ids_s = ids.astype(str)
    a = author[keep]
    ucols = user_columns(w)
    cols: dict[str, list] = {"tweetid": ids_s[keep].tolist()}
    for c in USERS_COLUMNS:
        cols[c] = ucols[c][a].tolist()
    cols["tweet_language"] = [w.posts["lang"][i] for i in keep.tolist()]
    cols["tweet_text"] = [rendered[i] for i in keep.tolist()]
    cols["tweet_time"] = pc.strftime(pa.array(t[keep], pa.timestamp("ms")), format="%Y-%m-%d %H:%M").to_pylist()
    cols["tweet_client_name"] = [w.posts["client"][i] for i in keep.tolist()]
    rk, rr = kind[keep], ref[keep]
    has = rr >= 0
    rau = np.where(has, uid[author[np.maximum(rr, 0)]], "")
    rid = np.where(has, ids_s[np.maximum(rr, 0)], "")
    cols["in_reply_to_userid"] = np.where(rk == 2, rau, "").tolist()
    cols["in_reply_to_tweetid"] = np.where(rk == 2, rid, "").tolist()
    cols["quoted_tweet_tweetid"] = np.where(rk == 3, rid, "").tolist()
    cols["is_retweet"] = np.where(rk == 1, "true", "false").tolist()
    cols["retweet_userid"] = np.where(rk == 1, rau, "").tolist()
    cols["retweet_tweetid"] = np.where(rk == 1, rid, "").tolist()
    cols["latitude"] = ["absent"] * keep.size
    cols["longitude"] = ["absent"] * keep.size
    for c in ("quote_count", "reply_count", "like_count", "retweet_count"):
        cols[c] = eng[c][keep].astype(str).tolist()
    ht, ul, um = [], [], []
    for i, k, o in zip(keep.tolist(), rk.tolist(), rr.tolist()):
        src = o if k == 1 else i
        ht.append(render_list(tags[src]))
        ul.append(render_list(urls[src]))
        mm = ([int(author[o])] if k == 1 else []) + list(ments[src])
        um.append(render_list([uid[x] for x in mm]))
    cols["hashtags"], cols["urls"], cols["user_mentions"] = ht, ul, um
    cols["poll_choices"] = [""] * keep.size
    out.mkdir(parents=True, exist_ok=True)
    opts = pacsv.WriteOptions(quoting_style="needed")
    pacsv.write_csv(pa.table({c: pa.array(cols[c], pa.string()) for c in TWEETS_COLUMNS}), out / "tweets.csv", opts)
    accs = np.nonzero(akind != "external")[0]
    accs = accs[np.argsort(uid[accs], kind="stable")]
    pacsv.write_csv(pa.table({c: pa.array(ucols[c][accs].tolist(), pa.string()) for c in USERS_COLUMNS}), out / "users.csv", opts)
    truth = {"userid": uid[accs].tolist(), "label": w.A("label")[accs].tolist(), "group": w.A("group")[accs].tolist(),
             "tactic": w.A("tactic")[accs].tolist()}
    pacsv.write_csv(pa.table({c: pa.array(v, pa.string()) for c, v in truth.items()}), out / "truth.csv", opts)
    posted = np.bincount(author[keep], minlength=akind.size)
    return {"rows": int(keep.size), "accounts": int(accs.size), "accounts_without_tweets": int((posted[accs] == 0).sum()),
            "rows_by_kind": {k: int((akind[author[keep]] == k).sum()) for k in sorted(set(akind[accs].tolist()))},
            "accounts_by_kind": {k: int((akind[accs] == k).sum()) for k in sorted(set(akind[accs].tolist()))}}


def user_columns(w: World) -> dict[str, np.ndarray]:
    created = w.A("created")
    return {
        "userid": w.A("uid"), "user_display_name": w.A("display"), "user_screen_name": w.A("screen"),
        "user_reported_location": w.A("location"), "user_profile_description": w.A("bio"),
        "user_profile_url": w.A("purl"), "follower_count": w.A("followers").astype(str).astype(object),
        "following_count": w.A("following").astype(str).astype(object),
        "account_creation_date": np.array([time.strftime("%Y-%m-%d", time.gmtime(int(d) * 86400)) for d in created], dtype=object),
        "account_language": w.A("acct_lang"),
    }


# --------------------------------------------------------------------------------------------


def build(out: str | Path, accounts: int = 5000, tweets: int = 500_000, seed: int = 1, knobs: dict | None = None) -> dict:
    """Generate one world into out; returns its description (also written to out/world.json)."""
    k = {name: d for name, (d, _) in KNOBS.items()}
    for name, v in (knobs or {}).items():
        if name not in KNOBS:
            raise WorldError(f"unknown knob {name!r}; known: {', '.join(KNOBS)}")
        k[name] = float(v)
        if k[name] < 0 or (name in UNIT_KNOBS and k[name] > 1):
            raise WorldError(f"knob {name} must be {'in [0, 1]' if name in UNIT_KNOBS else '>= 0'}, got {v}")
    if k["days"] < 1 or k["camouflage"] == 1:
        raise WorldError("days must be >= 1 and camouflage < 1")
    if accounts < 200 or tweets < accounts:
        raise WorldError("need at least 200 accounts and as many tweets as accounts")
    t0 = time.perf_counter()
    w = World(accounts, tweets, seed, k)
    celebs = make_celebrities(w)
    news = make_news(w)
    make_external(w, max(20, round(0.04 * accounts)), "popular", rate=(0.5, 5.0), intl=0.3)
    make_ops(w)
    make_fan_clubs(w, celebs)
    make_activists(w)
    make_news_sharers(w)
    make_news_bots(w, news)
    n_non_ordinary = sum(1 for x in w.acc["kind"] if x not in ("external", "news", "celebrity"))
    n_ordinary = accounts - len(celebs) - len(news) - n_non_ordinary
    if n_ordinary < 0.3 * accounts:
        raise WorldError(f"{accounts} accounts leave only {n_ordinary} ordinary users; lower op/look-alike sizes")
    w.organic_accounts(n_ordinary, "ordinary")
    background(w)
    drop = fit_to_budget(w)
    stats = write_world(w, Path(out), drop, bool(k["minute_only"]))
    desc = {
        "generator": "bench/heldout_world.py", "accounts": accounts, "tweets": tweets, "seed": seed, "knobs": k,
        "window": [time.strftime("%Y-%m-%d", time.gmtime(w.T0 // 1000)), time.strftime("%Y-%m-%d", time.gmtime(w.T1 // 1000))],
        "operations": [{kk: v for kk, v in op.items() if kk not in ("start", "end")} | {
            "start": time.strftime("%Y-%m-%d", time.gmtime(op["start"] // 1000)),
            "end": time.strftime("%Y-%m-%d", time.gmtime(op["end"] // 1000))} for op in w.ops],
        **stats,
    }
    (Path(out) / "world.json").write_text(json.dumps(desc, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    desc["seconds"] = round(time.perf_counter() - t0, 1)
    return desc


def parse_knobs(items: list[str]) -> dict[str, float]:
    out = {}
    for it in items:
        name, sep, v = it.partition("=")
        if not sep or name not in KNOBS:
            raise SystemExit(f"error: bad --knob {it!r}; known knobs: {', '.join(KNOBS)} (see --list-knobs)")
        try:
            out[name] = float(v)
        except ValueError:
            raise SystemExit(f"error: --knob {name} needs a number, got {v!r}") from None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--tweets", type=int, default=500_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="output folder")
    ap.add_argument("--minute-only", action="store_true", help="tweet ids are not snowflakes (minute precision only)")
    ap.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE", help="override a knob (repeatable)")
    ap.add_argument("--list-knobs", action="store_true")
    a = ap.parse_args(argv)
    if a.list_knobs:
        for name, (d, h) in KNOBS.items():
            print(f"{name:16} {h}" if d is None else f"{name:16} default {d:g}: {h}")
        return 0
    if not a.out:
        ap.error("--out is required")
    knobs = parse_knobs(a.knob)
    if a.minute_only:
        knobs["minute_only"] = 1.0
    try:
        desc = build(a.out, a.accounts, a.tweets, a.seed, knobs)
    except WorldError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{a.out}: {desc['rows']} tweets, {desc['accounts']} accounts, "
          f"{sum(o['size'] for o in desc['operations'])} in 6 operations, {desc['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
