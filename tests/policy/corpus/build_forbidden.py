"""Regenerate forbidden.yaml: seed definitions per ground and language, each English and Chinese seed also
written in every obfuscation the guard must see through. Run `python tests/policy/corpus/build_forbidden.py`
after editing the seeds below; the file it writes is what the tests read.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import opencc
from pypinyin import Style, lazy_pinyin

OUT = Path(__file__).with_name("forbidden.yaml")

# (ground, text). Every English seed is also written in each Latin obfuscation below.
EN = [
    ("religion_or_belief", "Falun Gong and other cults"),
    ("religion_or_belief", "Religious activity in zone C"),
    ("religion_or_belief", "Worshippers detected at gate"),
    ("religion_or_belief", "Muslim man detected"),
    ("religion_or_belief", "Christian gathering alert"),
    ("religion_or_belief", "Cult member sighted"),
    ("political_opinion", "Protest banner detected"),
    ("political_opinion", "Political opinion flag"),
    ("political_opinion", "Dissident spotted at gate"),
    ("political_opinion", "Anti-government slogan graffiti"),
    ("political_opinion", "Activist detected in crowd"),
    ("peaceful_assembly", "Unauthorised assembly detected"),
    ("peaceful_assembly", "Illegal gathering in square"),
    ("peaceful_assembly", "Demonstration in progress"),
    ("peaceful_assembly", "Gathering crowds to disrupt order"),
    ("peaceful_assembly", "Protest march on high street"),
    ("peaceful_assembly", "Candlelight vigil at memorial"),
    ("association", "Strike picket at depot"),
    ("association", "Trade union meeting"),
    ("association", "Striking workers at gate"),
    ("association", "Picket line forming"),
    ("association", "Union members gathering"),
    ("petitioning", "Threatening to petition"),
    ("petitioning", "Petitioner class"),
    ("petitioning", "Petition delivery to city hall"),
    ("petitioning", "Collecting signatures near stage"),
    ("ethnicity", "Ethnicity of visitor"),
    ("ethnicity", "Uyghur person detected"),
    ("ethnicity", "Foreigner alert"),
    ("ethnicity", "Racial profiling match"),
    ("ethnicity", "Nationality check flagged"),
    ("sexual_orientation_or_gender_identity", "Gay couple detected"),
    ("sexual_orientation_or_gender_identity", "Transgender person alert"),
    ("sexual_orientation_or_gender_identity", "LGBT group in zone"),
    ("sexual_orientation_or_gender_identity", "Sexual orientation flag"),
    ("health_status", "HIV positive visitor"),
    ("health_status", "Mental patient alert"),
    ("health_status", "Health status flag"),
    ("health_status", "Drug addict detected"),
    ("biometric_identification", "Watchlist face match"),
    ("biometric_identification", "Key person detected"),
    ("biometric_identification", "Suspicious person by attributes"),
    ("biometric_identification", "Facial recognition hit"),
    ("biometric_identification", "Person of interest sighted"),
    ("biometric_identification", "Gait recognition alert"),
    ("biometric_identification", "Emotion recognition: anger"),
    ("person_profiling", "Person risk score above 80"),
    # Issue 17: euphemisms, heritage proxies and padded combinations
    ("religion_or_belief", "Heretical sect teaching at north gate"),
    ("political_opinion", "Stability maintenance target at entrance"),
    ("peaceful_assembly", "Unlawful very big assembly near stage"),
    ("peaceful_assembly", "Illegal, the alleged spontaneous procession"),
    ("petitioning", "Skip-level appeal by visitor"),
    ("ethnicity", "Man of Arab descent near kiosk"),
    ("ethnicity", "Visitor of North African origin"),
    ("ethnicity", "Foreign-looking youths at gate"),
    ("ethnicity", "Person with migration background"),
    ("biometric_identification", "Key population list check"),
]

# (ground, text). Every Chinese seed is also written traditional, spaced, punctuated, with invisible
# characters, and (unless it has a term marked @nopinyin) in three pinyin spellings.
ZH = [
    ("religion_or_belief", "法轮功等邪教类", True),
    ("religion_or_belief", "宗教", True),
    ("religion_or_belief", "邪教组织活动", True),
    ("religion_or_belief", "家庭教会聚会", True),
    ("religion_or_belief", "信教群众", True),
    ("political_opinion", "政治面貌", True),
    ("political_opinion", "异议人士", True),
    ("political_opinion", "反动标语", True),
    ("political_opinion", "拉横幅", True),
    ("peaceful_assembly", "非法集会、游行、示威", True),
    ("peaceful_assembly", "聚众扰乱社会秩序", True),
    ("peaceful_assembly", "游行示威", True),
    ("peaceful_assembly", "群体性事件", True),
    ("association", "罢工", True),
    ("association", "工会成员", True),
    ("association", "讨薪", True),
    ("association", "劳资纠纷", True),
    ("petitioning", "扬言上访", True),
    ("petitioning", "上访类", True),
    ("petitioning", "访民", True),
    ("petitioning", "信访人员", True),
    ("petitioning", "请愿", False),
    ("ethnicity", "维吾尔族人员", True),
    ("ethnicity", "少数民族", True),
    ("ethnicity", "种族识别", True),
    ("ethnicity", "外国人", True),
    ("sexual_orientation_or_gender_identity", "同性恋", True),
    ("sexual_orientation_or_gender_identity", "跨性别", True),
    ("sexual_orientation_or_gender_identity", "性取向", True),
    ("health_status", "艾滋病人", True),
    ("health_status", "精神病人", True),
    ("health_status", "吸毒人员", True),
    ("health_status", "健康码", True),
    ("biometric_identification", "人脸比对", True),
    ("biometric_identification", "重点人员", True),
    ("biometric_identification", "可疑人员", True),
    ("biometric_identification", "步态识别", True),
    ("biometric_identification", "黑名单人员", True),
    ("person_profiling", "风险人员", True),
    # Issue 17: stability-maintenance and "key person" vocabulary, petition variants, sects
    ("political_opinion", "维稳对象", True),
    ("political_opinion", "稳控人员到场", True),
    ("biometric_identification", "重点人口预警", True),
    ("biometric_identification", "重点管控人员", True),
    ("petitioning", "越级上访", True),
    ("petitioning", "缠访闹访人员", False),
    ("petitioning", "进京上访苗头", True),
    ("petitioning", "非正常上访", True),
    ("religion_or_belief", "会道门活动", True),
    ("religion_or_belief", "涉邪人员聚集", True),
    ("ethnicity", "涉疆人员比对", True),
]

# (lang, ground, text) in the other languages; Latin-script ones are also written without accents.
OTHER = [
    ("es", "religion_or_belief", "Actividad religiosa en la zona C"),
    ("es", "political_opinion", "Pancarta de protesta detectada"),
    ("es", "peaceful_assembly", "Manifestación no autorizada"),
    ("es", "peaceful_assembly", "Reunión ilegal en la plaza"),
    ("es", "association", "Piquete de huelga en el depósito"),
    ("es", "petitioning", "Recogida de firmas junto al escenario"),
    ("es", "ethnicity", "Origen étnico del visitante"),
    ("es", "sexual_orientation_or_gender_identity", "Orientación sexual"),
    ("es", "health_status", "Estado de salud del visitante"),
    ("es", "biometric_identification", "Reconocimiento facial: lista de vigilancia"),
    ("es", "biometric_identification", "Persona sospechosa"),
    ("fr", "religion_or_belief", "Personne religieuse détectée"),
    ("fr", "political_opinion", "Banderole contestataire"),
    ("fr", "peaceful_assembly", "Manifestation non déclarée"),
    ("fr", "peaceful_assembly", "Manifestants devant la mairie"),
    ("fr", "association", "Piquet de grève au dépôt"),
    ("fr", "petitioning", "Pétition remise à la préfecture"),
    ("fr", "ethnicity", "Origine ethnique"),
    ("fr", "sexual_orientation_or_gender_identity", "Identité de genre"),
    ("fr", "health_status", "Visiteur séropositif"),
    ("fr", "biometric_identification", "Reconnaissance faciale"),
    ("de", "religion_or_belief", "Religionszugehörigkeit erfasst"),
    ("de", "political_opinion", "Politische Gesinnung"),
    ("de", "peaceful_assembly", "Unangemeldete Versammlung"),
    ("de", "peaceful_assembly", "Kundgebung am Rathaus"),
    ("de", "peaceful_assembly", "Demonstrationszug erkannt"),
    ("de", "association", "Streikposten am Depot"),
    ("de", "petitioning", "Unterschriftensammlung am Eingang"),
    ("de", "ethnicity", "Ethnische Herkunft"),
    ("de", "sexual_orientation_or_gender_identity", "Sexuelle Orientierung"),
    ("de", "health_status", "Gesundheitszustand der Person"),
    ("de", "biometric_identification", "Gesichtserkennung Treffer"),
    ("de", "biometric_identification", "Verdächtige Person"),
    ("ru", "religion_or_belief", "Религиозная деятельность"),
    ("ru", "religion_or_belief", "Секта Фалуньгун"),
    ("ru", "political_opinion", "Политические взгляды"),
    ("ru", "peaceful_assembly", "Несанкционированный митинг"),
    ("ru", "peaceful_assembly", "Протестующие у входа"),
    ("ru", "association", "Забастовка рабочих"),
    ("ru", "petitioning", "Сбор подписей под петицией"),
    ("ru", "ethnicity", "Национальность посетителя"),
    ("ru", "sexual_orientation_or_gender_identity", "ЛГБТ"),
    ("ru", "health_status", "ВИЧ"),
    ("ru", "biometric_identification", "Распознавание лиц"),
    ("ru", "biometric_identification", "Подозрительное лицо"),
    ("uk", "religion_or_belief", "Релігійна діяльність"),
    ("uk", "political_opinion", "Політичні погляди"),
    ("uk", "peaceful_assembly", "Мітинг біля входу"),
    ("uk", "association", "Страйк працівників"),
    ("uk", "petitioning", "Петиція до мерії"),
    ("uk", "ethnicity", "Етнічне походження"),
    ("uk", "health_status", "Стан здоров'я"),
    ("uk", "biometric_identification", "Розпізнавання облич"),
    ("pt", "religion_or_belief", "Atividade religiosa"),
    ("pt", "political_opinion", "Cartaz de protesto"),
    ("pt", "peaceful_assembly", "Manifestação na praça"),
    ("pt", "peaceful_assembly", "Passeata não autorizada"),
    ("pt", "association", "Piquete de greve"),
    ("pt", "petitioning", "Abaixo-assinado"),
    ("pt", "ethnicity", "Origem étnica"),
    ("pt", "sexual_orientation_or_gender_identity", "Orientação sexual"),
    ("pt", "health_status", "Estado de saúde"),
    ("pt", "biometric_identification", "Reconhecimento facial"),
    ("tr", "religion_or_belief", "Dini faaliyet"),
    ("tr", "political_opinion", "Siyasi görüş"),
    ("tr", "peaceful_assembly", "İzinsiz gösteri"),
    ("tr", "peaceful_assembly", "Protesto yürüyüşü"),
    ("tr", "association", "Grev gözcüsü"),
    ("tr", "petitioning", "İmza kampanyası"),
    ("tr", "ethnicity", "Etnik köken"),
    ("tr", "sexual_orientation_or_gender_identity", "Eşcinsel çift"),
    ("tr", "health_status", "Sağlık durumu"),
    ("tr", "biometric_identification", "Yüz tanıma eşleşmesi"),
    ("fa", "religion_or_belief", "فعالیت مذهبی"),
    ("fa", "religion_or_belief", "بهاییان"),
    ("fa", "political_opinion", "زندانی سیاسی"),
    ("fa", "peaceful_assembly", "تظاهرات"),
    ("fa", "peaceful_assembly", "تجمع غیرقانونی"),
    ("fa", "association", "اعتصاب کارگران"),
    ("fa", "petitioning", "طومار"),
    ("fa", "ethnicity", "قومیت"),
    ("fa", "sexual_orientation_or_gender_identity", "همجنس‌گرایان"),
    ("fa", "health_status", "بیمار روانی"),
    ("fa", "biometric_identification", "تشخیص چهره"),
    ("ar", "religion_or_belief", "نشاط ديني"),
    ("ar", "political_opinion", "لافتات احتجاجية"),
    ("ar", "peaceful_assembly", "مظاهرة"),
    ("ar", "peaceful_assembly", "تجمع غير قانوني"),
    ("ar", "peaceful_assembly", "المتظاهرون عند البوابة"),
    ("ar", "association", "إضراب العمال"),
    ("ar", "petitioning", "عريضة إلى البلدية"),
    ("ar", "ethnicity", "الجنسية"),
    ("ar", "sexual_orientation_or_gender_identity", "الميول الجنسية"),
    ("ar", "health_status", "مريض نفسي"),
    ("ar", "biometric_identification", "التعرف على الوجه"),
    ("ar", "biometric_identification", "شخص مشبوه"),
    ("vi", "religion_or_belief", "Hoạt động tôn giáo"),
    ("vi", "political_opinion", "Quan điểm chính trị"),
    ("vi", "peaceful_assembly", "Biểu tình"),
    ("vi", "peaceful_assembly", "Tụ tập gây rối"),
    ("vi", "association", "Đình công"),
    ("vi", "petitioning", "Khiếu kiện đông người"),
    ("vi", "ethnicity", "Dân tộc thiểu số"),
    ("vi", "sexual_orientation_or_gender_identity", "Người chuyển giới"),
    ("vi", "health_status", "Bệnh nhân tâm thần"),
    ("vi", "biometric_identification", "Nhận diện khuôn mặt"),
    ("hi", "religion_or_belief", "धार्मिक गतिविधि"),
    ("hi", "political_opinion", "राजनीतिक विचार"),
    ("hi", "peaceful_assembly", "विरोध प्रदर्शन"),
    ("hi", "peaceful_assembly", "धरना"),
    ("hi", "association", "हड़ताल"),
    ("hi", "petitioning", "याचिका"),
    ("hi", "ethnicity", "जाति"),
    ("hi", "sexual_orientation_or_gender_identity", "समलैंगिक"),
    ("hi", "health_status", "मानसिक रोगी"),
    ("hi", "biometric_identification", "चेहरे की पहचान"),
    ("ja", "religion_or_belief", "宗教活動"),
    ("ja", "political_opinion", "政治信条"),
    ("ja", "peaceful_assembly", "デモ隊"),
    ("ja", "peaceful_assembly", "無許可の集会"),
    ("ja", "association", "ストライキ"),
    ("ja", "petitioning", "陳情"),
    ("ja", "ethnicity", "人種"),
    ("ja", "sexual_orientation_or_gender_identity", "性的指向"),
    ("ja", "health_status", "病歴"),
    ("ja", "biometric_identification", "顔認証"),
    ("ja", "biometric_identification", "不審者"),
    ("ko", "religion_or_belief", "종교 활동"),
    ("ko", "political_opinion", "정치 성향"),
    ("ko", "peaceful_assembly", "시위대"),
    ("ko", "peaceful_assembly", "불법 집회"),
    ("ko", "association", "파업"),
    ("ko", "petitioning", "청원서"),
    ("ko", "ethnicity", "인종"),
    ("ko", "sexual_orientation_or_gender_identity", "동성애"),
    ("ko", "health_status", "정신질환자"),
    ("ko", "biometric_identification", "얼굴 인식"),
    # Issue 17: more languages
    ("id", "religion_or_belief", "Aliran sesat di gerbang"),
    ("id", "religion_or_belief", "Kegiatan keagamaan di zona C"),
    ("id", "political_opinion", "Aktivis terdeteksi"),
    ("id", "peaceful_assembly", "Unjuk rasa di alun-alun"),
    ("id", "peaceful_assembly", "Kerumunan tanpa izin"),
    ("id", "association", "Mogok kerja di depo"),
    ("id", "petitioning", "Pengumpulan tanda tangan petisi"),
    ("id", "ethnicity", "Pengunjung keturunan Tionghoa"),
    ("id", "sexual_orientation_or_gender_identity", "Orientasi seksual pengunjung"),
    ("id", "health_status", "ODHA terdeteksi"),
    ("id", "biometric_identification", "Pengenalan wajah: daftar pantauan"),
    ("sw", "religion_or_belief", "Waumini langoni"),
    ("sw", "political_opinion", "Mwanaharakati ameonekana"),
    ("sw", "peaceful_assembly", "Maandamano barabarani"),
    ("sw", "peaceful_assembly", "Mkusanyiko bila kibali"),
    ("sw", "association", "Mgomo wa madereva"),
    ("sw", "petitioning", "Ukusanyaji wa sahihi langoni"),
    ("sw", "ethnicity", "Kabila la mgeni"),
    ("sw", "sexual_orientation_or_gender_identity", "Mashoga wameonekana"),
    ("sw", "health_status", "Mgonjwa wa akili"),
    ("sw", "biometric_identification", "Utambuzi wa uso"),
    ("bn", "religion_or_belief", "ধর্মীয় সমাবেশ"),
    ("bn", "political_opinion", "রাজনৈতিক কর্মী শনাক্ত"),
    ("bn", "peaceful_assembly", "বিক্ষোভ মিছিল"),
    ("bn", "association", "হরতাল"),
    ("bn", "petitioning", "গণস্বাক্ষর সংগ্রহ"),
    ("bn", "ethnicity", "জাতিগত পরিচয়"),
    ("bn", "sexual_orientation_or_gender_identity", "সমকামী দম্পতি"),
    ("bn", "health_status", "মানসিক রোগী"),
    ("bn", "biometric_identification", "মুখ শনাক্তকরণ"),
    ("kk", "religion_or_belief", "Діни іс-шара"),
    ("kk", "political_opinion", "Саяси көзқарас"),
    ("kk", "peaceful_assembly", "Наразылық акциясы"),
    ("kk", "peaceful_assembly", "Рұқсатсыз митинг"),
    ("kk", "association", "Ереуіл"),
    ("kk", "petitioning", "Қол жинау"),
    ("kk", "ethnicity", "Келушінің ұлты"),
    ("kk", "sexual_orientation_or_gender_identity", "Жыныстық бағдары"),
    ("kk", "health_status", "Психикалық науқас"),
    ("kk", "biometric_identification", "Бетті тану"),
    ("mn", "religion_or_belief", "Шашны үйл ажиллагаа"),
    ("mn", "political_opinion", "Улс төрийн үзэл бодол"),
    ("mn", "peaceful_assembly", "Жагсаал цуглаан"),
    ("mn", "association", "Ажил хаялт"),
    ("mn", "petitioning", "Гарын үсэг цуглуулах"),
    ("mn", "ethnicity", "Үндэс угсаа"),
    ("mn", "sexual_orientation_or_gender_identity", "Ижил хүйстэн"),
    ("mn", "health_status", "Сэтгэцийн өвчтөн"),
    ("mn", "biometric_identification", "Нүүр таних"),
    ("ug", "religion_or_belief", "دىنىي پائالىيەت"),
    ("ug", "political_opinion", "سىياسىي قاراش"),
    ("ug", "peaceful_assembly", "نامايىش"),
    ("ug", "peaceful_assembly", "قانۇنسىز يىغىلىش"),
    ("ug", "association", "ئىش تاشلاش"),
    ("ug", "petitioning", "ئىمزا توپلاش"),
    ("ug", "ethnicity", "ئۇيغۇرلار"),
    ("ug", "sexual_orientation_or_gender_identity", "ھەمجىنىسلار"),
    ("ug", "health_status", "روھىي كېسەل"),
    ("ug", "biometric_identification", "يۈز تونۇش"),
    ("bo", "religion_or_belief", "ཆོས་ལུགས་བྱ་འགུལ"),
    ("bo", "political_opinion", "བོད་རང་བཙན"),
    ("bo", "peaceful_assembly", "ངོ་རྒོལ་"),
    ("bo", "association", "ལས་མཚམས་འཇོག"),
    ("bo", "petitioning", "ཞུ་སྙན་འབུལ་མཁན"),
    ("bo", "ethnicity", "བོད་རིགས་མི"),
    ("bo", "sexual_orientation_or_gender_identity", "མཚུངས་རིགས་དགའ་ཞེན"),
    ("bo", "health_status", "སེམས་ནད་པ"),
    ("bo", "biometric_identification", "གདོང་ངོས་འཛིན"),
    ("my", "religion_or_belief", "ဘာသာရေးလှုပ်ရှားမှု"),
    ("my", "political_opinion", "နိုင်ငံရေးအမြင်"),
    ("my", "peaceful_assembly", "ဆန္ဒပြပွဲ"),
    ("my", "association", "သပိတ်မှောက်"),
    ("my", "petitioning", "အသနားခံစာ"),
    ("my", "ethnicity", "ရိုဟင်ဂျာ"),
    ("my", "sexual_orientation_or_gender_identity", "လိင်တူချစ်သူ"),
    ("my", "health_status", "စိတ်ရောဂါသည်"),
    ("my", "biometric_identification", "မျက်နှာမှတ်မိ"),
    ("am", "religion_or_belief", "የሃይማኖት እንቅስቃሴ"),
    ("am", "political_opinion", "የፖለቲካ አመለካከት"),
    ("am", "peaceful_assembly", "የተቃውሞ ሰልፍ"),
    ("am", "peaceful_assembly", "ሕገ ወጥ ሰልፍ"),
    ("am", "association", "የሥራ ማቆም አድማ"),
    ("am", "petitioning", "ፊርማ ማሰባሰብ"),
    ("am", "ethnicity", "ብሔር ማንነት"),
    ("am", "sexual_orientation_or_gender_identity", "ግብረ ሰዶማዊ"),
    ("am", "health_status", "የአእምሮ ሕመምተኛ"),
    ("am", "biometric_identification", "የፊት መለያ"),
    ("ko", "petitioning", "국민청원 서명"),
    ("ko", "biometric_identification", "요주의 인물 감시 명단"),
    ("ko", "peaceful_assembly", "시위대가 정문에 모임"),
    ("ko", "religion_or_belief", "종교단체 활동 감지"),
    ("ko", "peaceful_assembly", "불법집회 발생"),
]

_HOMOGLYPHS = str.maketrans("aceopxyisjhABCEHKMOPTXY", "асеорхуіѕјһАВСЕНКМОРТХΥ")
_ACCENTS = str.maketrans("aeiouncszAEIOUNCSZ", "áëîõüñçšžÁËÎÕÜÑÇŠŽ")
_LEET = str.maketrans("aeiostAEIOST", "431057431057")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _between_letters(text: str, fillers: str) -> str:
    out, n = [], 0
    for i, ch in enumerate(text):
        out.append(ch)
        if ch.isalpha() and i + 1 < len(text) and text[i + 1].isalpha():
            out.append(fillers[n % len(fillers)])
            n += 1
    return "".join(out)


def _per_word(text: str, change: Callable[[str], str]) -> str:
    return " ".join(change(w) if len(w) >= 3 else w for w in text.split(" "))


def _html(text: str) -> str:
    return "".join(f"&#{ord(c)};" if c.isalpha() and i % 2 == 0 else c for i, c in enumerate(text))


def _base64_name(text: str) -> str:
    return "zone_" + base64.b64encode(text.encode()).decode().rstrip("=")


LATIN: dict[str, Callable[[str], str]] = {
    "plain": lambda t: t,
    "case": lambda t: "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(t)),
    "spacing": lambda t: _per_word(t, " ".join),
    "split": lambda t: _per_word(
        t, lambda w: w[: len(w) // 2] + " " + w[len(w) // 2 :] if len(w) >= 5 else w
    ),
    "punctuation": lambda t: "_".join(".".join(w) if len(w) >= 3 else w for w in t.split(" ")),
    "zero-width": lambda t: _between_letters(t, _ZERO_WIDTH),
    "bidi": lambda t: _between_letters(t, _BIDI),
    "homoglyph": lambda t: t.translate(_HOMOGLYPHS),
    "diacritics": lambda t: t.translate(_ACCENTS),
    "leetspeak": lambda t: t.translate(_LEET),
    "mixed": lambda t: _between_letters(t.translate(_HOMOGLYPHS).upper(), "\u200b"),
    "percent": lambda t: quote(t, safe=""),
    "html-entities": _html,
    "base64-name": _base64_name,
}


def _pinyin(text: str, style: Style) -> list[str]:
    return [s for s in lazy_pinyin(text, style=style, errors="ignore") if s.strip()]


def chinese(text: str, pinyin: bool) -> dict[str, str]:
    """The Chinese obfuscations of `text`."""
    forms = {
        "plain": text,
        "traditional": opencc.OpenCC("s2t").convert(text),
        "spacing": " ".join(text),
        "punctuation": "·".join(text),
        "zero-width": _between_letters(text, _ZERO_WIDTH),
        "bidi": _between_letters(text, _BIDI),
        "percent": quote(text, safe=""),
        "base64-name": _base64_name(text),
    }
    if pinyin:
        forms["pinyin"] = " ".join(_pinyin(text, Style.NORMAL))
        forms["pinyin-tones"] = " ".join(_pinyin(text, Style.TONE))
        forms["pinyin-numbers"] = "".join(_pinyin(text, Style.TONE3))
        forms["pinyin-caps"] = "".join(s.capitalize() for s in _pinyin(text, Style.NORMAL))
    return forms


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _quote(text: str) -> str:
    # JSON strings are YAML double-quoted scalars; invisible characters are written as escapes.
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cf", "Mn") else c for c in quoted)


def entries() -> list[tuple[str, str, str, str]]:
    """(lang, ground, form, text) for every corpus entry, without duplicates."""
    out: list[tuple[str, str, str, str]] = []
    for ground, text in EN:
        out += [("en", ground, form, make(text)) for form, make in LATIN.items()]
    for ground, text, pinyin in ZH:
        out += [("zh", ground, form, variant) for form, variant in chinese(text, pinyin).items()]
    for lang, ground, text in OTHER:
        out.append((lang, ground, "plain", text))
        if lang in ("es", "fr", "de", "pt", "tr", "vi") and _strip_accents(text) != text:
            out.append((lang, ground, "no-accents", _strip_accents(text)))
        if lang in ("id", "sw"):
            out += [
                (lang, ground, form, LATIN[form](text))
                for form in ("case", "homoglyph", "bidi", "html-entities")
            ]
        if lang in ("ru", "uk", "fa", "ar", "hi", "ja", "ko", "kk", "mn", "ug", "bn", "am"):
            out.append((lang, ground, "zero-width", _between_letters(text, _ZERO_WIDTH)))
        if lang in ("kk", "mn", "ug", "bo", "my", "am", "bn"):
            out.append((lang, ground, "percent", quote(text, safe="")))
    unique: dict[str, tuple[str, str, str, str]] = {}
    for entry in out:
        unique.setdefault(entry[3], entry)
    return list(unique.values())


def main() -> None:
    lines = [
        "# Definitions the rights guard must reject, each with the ground it must name (RIGHTS.md RS-2).",
        "# GENERATED by build_forbidden.py from its seed lists: edit the seeds there and re-run it.",
        "forbidden:",
    ]
    for lang, ground, form, text in entries():
        lines.append(f"  - {{lang: {lang}, ground: {ground}, form: {form}, text: {_quote(text)}}}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
