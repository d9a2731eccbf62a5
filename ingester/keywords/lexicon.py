"""Word lists: the kinds of keyword, stop words, titles, name suffixes and endings, and the
small gazetteer of places and organisations, with the lookups on them.

Data and plain lookups only: no rules that read an article, no imports from the rest of the
package. A word list is tuned against ``tests/data/keywords``; edit it with the benchmark.
"""

from __future__ import annotations

import re

PERSON, ORGANISATION, PLACE, OTHER = "person", "organisation", "place", "other"


def known_name(text: str) -> bool:
    return gazetteer_kind(text) is not None or text in FIRST_NAMES


def is_title_head(lower: str) -> bool:
    """President, Chair; also hyphenated: Secretary-General, Vice-President."""
    return lower in TITLE_HEADS or (
        "-" in lower and any(part in TITLE_HEADS for part in lower.split("-"))
    )


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _entries(text: str) -> frozenset[str]:
    return frozenset(entry.strip() for entry in text.split(",") if entry.strip())


def _groups(text: str) -> dict[str, int]:
    """ "A = B = C" lines: names of one place in English, Russian and Kazakh."""
    return {
        name.strip(): n
        for n, line in enumerate(text.strip().splitlines())
        for name in line.split("=")
        if name.strip()
    }


def gazetteer_kind(text: str) -> str | None:
    if text in _PLACES:
        return PLACE
    if text in _ORGS:
        return ORGANISATION
    return None


CONNECTORS = _words("of for de da del der van von bin ibn al el la le du dos")
NAME_PARTICLES = _words("de da del der van von bin ibn al el la le du dos")
MINOR = _words("of for and the on in at to de a an и о по при на в для")
POSSESSIVE_INSIDE = _words("People Prosecutor Women Workers Children Veterans Defenders")
OF_HEADS = _words(
    """ministry bank republic university committee council organization organisation union
    office court federation commission department institute academy agency party house chamber
    museum church kingdom emirate association league board center centre school college service
    army navy corps assembly parliament fund foundation minister secretary prosecutor sea gulf
    bay isle lake cape port city state states district region province oblast"""
)
ORG_SUFFIXES = _words(
    """organization organisation ministry committee council agency bank party union service
    commission court office department assembly parliament senate duma mazhilis majilis
    administration authority bureau fund foundation institute university academy company
    corporation corp inc ltd group holding holdings association alliance front movement
    coalition forces army navy guard police network exchange board centre center media news
    nations sachs stanley morgan chase gold gas oil energy mining resources capital motors
    telecom petroleum metals steel pharma technologies systems partners investments
    times post watch international airlines airways railways reserve treasury government
    cabinet kremlin federation league cooperation club team police akimat prosecutor's
    gazette channel tv radio agency's bloc"""
)
PLACE_SUFFIXES = _words(
    """airport square street avenue region province oblast district valley river lake sea ocean
    mountains mountain island islands bay gulf strait peninsula corridor pass city town village
    steppe desert plateau canal port bridge dam station field highway border crossing oblys
    raion territory"""
)
OTHER_SUFFIXES = _words(
    """prize award initiative agreement accord treaty deal act law summit games cup olympics
    war plan strategy programme program conference forum festival election elections
    referendum protocol pact"""
)
PLACE_PREFIXES = _words("republic kingdom emirate lake mount cape gulf bay isle port fort saint st")
PLACE_PREPS_STRONG = _words("in at near across throughout inside outside into within в во")
PLACE_PREPS_WEAK = _words("from to toward towards via из")
SAID = _words(
    """said says told added noted stated claimed wrote warned argued insisted explained
    replied recalled admitted stressed заявил заявила сообщил сообщила отметил отметила
    сказал сказала подчеркнул подчеркнула"""
)
TITLE_HEADS = _words(
    """president minister premier chancellor chairman chairwoman chairperson chair speaker secretary
    ambassador governor mayor akim spokesman spokeswoman spokesperson general gen colonel col
    lieutenant lt captain capt admiral marshal sergeant sgt judge senator sen rep king queen
    prince princess emir sheikh pope patriarch mr mrs ms dr prof professor sir dame lord lady
    commissioner prosecutor envoy ombudsman ceo director chief head deputy leader founder
    lawyer analyst journalist activist blogger economist expert counterpart ally aide adviser
    advisor successor predecessor rival son daughter wife husband brother sister nephew"""
)
TITLE_WORDS = TITLE_HEADS | _words(
    """prime foreign defense defence interior finance economy economic energy health education
    justice emergency emergencies agriculture trade digital security first acting former vice
    state attorney opposition presidential press executive national affairs"""
)
COMMON_INITIAL = _words(
    """according although meanwhile however several last earlier later many some officials
    analysts critics protesters police troops authorities residents experts people observers
    eventually finally instead despite during while since because after before once unlike
    like asked speaking following amid under elsewhere separately still yet even now today
    yesterday tomorrow here there"""
)
MONTHS_DAYS = _words(
    """January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday"""
)
DIRECTIONS = _words(
    """Central North South East West Northern Southern Eastern Western Middle Upper Lower Greater
    Far Near"""
)
DEMONYMS = _words(
    """Russian Kazakh Kazakhstani Kyrgyz Uzbek Tajik Turkmen Armenian Azerbaijani Azeri Georgian
    Ukrainian Belarusian Moldovan Latvian Lithuanian Estonian Chinese American British English
    French German Italian Spanish Turkish Iranian Afghan Pakistani Indian Japanese Korean
    European Asian African Arab Western Eastern Soviet Mongolian Polish Czech Israeli
    Palestinian Syrian Iraqi Saudi Emirati Qatari Egyptian Canadian Australian Swiss Swedish
    Finnish Norwegian Danish Dutch Belgian Austrian Hungarian Romanian Bulgarian Serbian Greek
    Uyghur Uighur Tatar Chechen Dagestani Karakalpak Pamiri Slavic Muslim Christian Orthodox
    Catholic Jewish Islamic"""
)
ACRONYM_DROP = _words("TV AM PM OK CEO ID VIP FM GMT UTC PR PS AD BC")
ACRONYM_TERMS = _words("GDP VAT LNG HIV AIDS COVID AI IT CPI GPS SMS")
# Endings of post-Soviet surnames in Latin script; the short ones only count inside a full name.
SURNAME_ENDINGS_STRONG = (
    *("ov", "ova", "ev", "eva", "yev", "yeva", "enko", "shvili", "dze", "yan", "uly", "kyzy"),
    *("vich", "ovich", "evich", "sky", "ski", "skiy", "skaya", "bekov", "bayev", "zade"),
)
SURNAME_ENDINGS = (*SURNAME_ENDINGS_STRONG, "in", "ina", "yn", "ian", "uk", "yuk", "oglu", "yev")
SURNAME_ENDINGS_RU = (
    *("ов", "ова", "ев", "ева", "ёв", "ин", "ина", "ын", "ына", "енко", "швили", "дзе", "ян"),
    *("ұлы", "қызы", "улы", "кызы", "ский", "ская", "цкий", "цкая", "вич"),
)
RU_SURNAME_RULES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    tuple(
        rule
        for stem in ("ов", "ев", "ёв", "ин", "ын")
        for rule in (
            (stem, stem, "masc", ("nomn",)),
            (stem + "а", stem, "masc", ("gent", "accs")),
            (stem + "а", stem + "а", "femn", ("nomn",)),
            (stem + "у", stem, "masc", ("datv",)),
            (stem + "у", stem + "а", "femn", ("accs",)),
            (stem + "ым", stem, "masc", ("ablt",)),
            (stem + "е", stem, "masc", ("loct",)),
            (stem + "ой", stem + "а", "femn", ("gent", "datv", "ablt", "loct")),
        )
    )
    + tuple(
        rule
        for stem in ("ск", "цк")
        for rule in (
            (stem + "ий", stem + "ий", "masc", ("nomn",)),
            (stem + "ого", stem + "ий", "masc", ("gent", "accs")),
            (stem + "ому", stem + "ий", "masc", ("datv",)),
            (stem + "им", stem + "ий", "masc", ("ablt",)),
            (stem + "ом", stem + "ий", "masc", ("loct",)),
            (stem + "ая", stem + "ая", "femn", ("nomn",)),
            (stem + "ой", stem + "ая", "femn", ("gent", "datv", "ablt", "loct")),
            (stem + "ую", stem + "ая", "femn", ("accs",)),
        )
    )
    + (
        ("ян", "ян", "masc", ("nomn",)),
        ("яна", "ян", "masc", ("gent", "accs")),
        ("яну", "ян", "masc", ("datv",)),
        ("яном", "ян", "masc", ("ablt",)),
        ("яне", "ян", "masc", ("loct",)),
    )
)
RU_NAME_PREPS = frozenset(("о", "по", "при"))  # "Договора о коллективной безопасности"
RU_ADJ_END = re.compile(r"(?:ая|ой|ую|ий|ый|ого|ому|им|ым|ом|ое)$")
RU_REGION_NOUNS = _words("область район край округ республика провинция штат уезд")
RU_INDECLINABLE = ("енко", "швили", "дзе", "ых", "их", "ко")
RU_TITLES = _words(
    """президент президента президентом президенту премьер премьер-министр министр глава
    председатель спикер генсек секретарь посол губернатор мэр аким генерал полковник депутат
    сенатор представитель пресс-секретарь директор руководитель вице-премьер вице-президент
    экс-президент лидер король патриарх господин замглавы замминистра начальник командующий
    экс-глава""".replace("\n", " ")
)
RU_ORG_HEADS = _words(
    """министерство комитет совет служба агентство банк партия союз организация фонд управление
    прокуратура суд дума ассамблея академия университет корпорация администрация палата
    комиссия парламент правительство сенат федерация движение альянс департамент институт
    инспекция бюро центр"""
)
RU_ENDINGS = (
    *("иями", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ией", "ия", "ие", "ии"),
    *("ой", "ей", "ий", "ый", "ая", "яя", "ое", "ее", "ые", "ие", "ых", "их", "ую", "юю", "ом"),
    *("ем", "ах", "ях", "ов", "ев", "ам", "ям", "ью", "а", "я", "о", "е", "ы", "и", "у", "ю", "ь"),
)
KK_SUFFIXES = tuple(
    sorted(
        _words(
            """ның нің дың дің тың тің ға ге қа ке на не ны ні ды ді ты ті да де та те нда нде
            дан ден тан тен нан нен мен бен пен дағы дегі тағы тегі ндағы ндегі ндағы сы сі
            ның нан ына іне ында інде ынан інен ымен імен лар лер дар дер тар тер ларының
            лерінің ларына леріне ларында лерінде ларынан лерінен тың ке қа ға ге н"""
        ),
        key=len,
        reverse=True,
    )
)
# Case endings after which a Kazakh noun phrase is over: genitive, locative, ablative, dative.
KK_PHRASE_ENDS = (
    *("ның", "нің", "дың", "дің", "тың", "тің", "да", "де", "та", "те", "дан", "ден", "тан"),
    *("тен", "нан", "нен", "ға", "ге", "қа", "ке", "мен", "бен", "пен"),
)
KK_PLACE_HEADS = ("республика", "облыс", "аудан", "қала", "өзен", "көл")
KK_ORG_HEADS = (
    *("министрлі", "комитет", "агенттігі", "партия", "кеңес", "банк", "сот", "әкімдігі"),
    *("қоры", "мәжіліс", "сенат", "үкімет", "ұйым", "қызмет"),
)
KK_TITLES = _words(
    """президент президенті премьер-министр министр министрі әкім әкімі төраға төрағасы
    басшысы депутат депутаты елші елшісі мемлекет"""
)
STOP_KK = _words(
    """және мен бен пен да де та те бұл осы сол ол олар біз сіз мен ал бірақ себебі үшін
    туралы бойынша дейін кейін соң бар жоқ емес еді деп деді болды болып болған болады
    жылы жылғы қазір енді тағы тек әр барлық кез кейбір бір екі үш көп аз сондай мұндай
    осындай оның олардың біздің бүгін кеше ертең қатысты арқылы қарай бері шейін жөнінде
    жатыр отыр тұр алды берді айтты мәлімдеді атап өтті сондай-ақ сонымен қатар"""
)
STOP_EN = _words(
    """a about above after again against all almost also although always am among an and
    another any anyone anything are around as at away back be became because become been
    before being below between both but by can cannot could did do does doing done down during
    each either else enough even ever every few first for former from further get gets got had
    has have having he her here hers herself him himself his how however i if in including
    instead into is it its itself just last later least less like made make many may me might
    more most much must my myself near nearly neither never new next no nor not now of off on
    once one only onto or other others our ours ourselves out over own per perhaps rather
    same she should since so some such than that the their theirs them themselves then there
    these they this those though through thus to too toward towards under until up upon us
    very via was we well were what whatever when where whether which while who whom whose why
    will with within without would yet you your yours yourself yourselves
    said says say told tell according added also ago already another around asked back
    called came come comes despite due early earlier eight either etc every five four going
    gone half hundred including its later least made make makes meanwhile mr mrs ms nine
    now often one onto part put seven several six still take taken ten three took two us
    way week weeks year years month months day days time times today yesterday tomorrow
    people percent per cent news report reported reports statement official officials
    country countries political issue issues situation side sides level end place area areas
    according saying amid following across behind beyond set sets use used using many
    whose within would whom could likely number remains remain remained since around
    however although though thing things lot lots want wants wanted know known knew
    new old big small large high low long short good bad great recent recently
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december"""
)
STOP_RU = _words(
    """а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
    даже для до его ее её если есть еще ещё же за здесь и из или им их к как ко когда кто ли
    либо мне может мы на над надо наш не него нее неё нет ни них но ну о об однако он она
    они оно от очень по под при с со так также такой там те тем то того тоже той только том
    ты у уже хотя чего чей чем что чтобы чье чья эта эти это этого этой этом этот я
    который которая которое которые которых котором которой которому которым
    свой своя свое своё свои своих своего своей своим также тут туда потом после перед
    через между около против среди вокруг ради кроме вместо вследствие согласно благодаря
    заявил заявила заявили сообщил сообщила сообщили отметил отметила отметили сказал
    сказала сказали подчеркнул подчеркнула добавил добавила пояснил пояснила говорится
    является являются стал стала стали станет будет будут был было быть может могут
    мог могла могли год года году лет годы неделе недели день дня дней время раз
    сегодня вчера завтра сейчас теперь уже ранее ещё пока всё все весь вся всю
    человек человека людей страны страна стране свою своей один одна одно два две три
    первый первая новый новая новые также кроме того, более менее около почти
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря
    понедельник вторник среду четверг пятницу субботу воскресенье
    данным словам мнению слова сообщает сообщается говорит ряд случае итогам рамках
    время области"""
)
_PLACES = _entries(
    """Afghanistan, Albania, Algeria, Argentina, Armenia, Australia, Austria, Azerbaijan, Bahrain,
    Bangladesh, Belarus, Belgium, Bosnia, Brazil, Bulgaria, Cambodia, Canada, Chile, China,
    Colombia, Croatia, Cuba, Cyprus, Czechia, Czech Republic, Denmark, Egypt, Estonia, Ethiopia,
    Finland, France, Georgia, Germany, Greece, Hungary, Iceland, India, Indonesia, Iran, Iraq,
    Ireland, Israel, Italy, Japan, Jordan, Kazakhstan, Kenya, Kosovo, Kuwait, Kyrgyzstan,
    Kyrgyz Republic, Laos, Latvia, Lebanon, Libya, Lithuania, Luxembourg, Malaysia, Mexico,
    Moldova, Mongolia, Montenegro, Morocco, Myanmar, Nepal, Netherlands, New Zealand, Nigeria,
    North Korea, North Macedonia, Norway, Oman, Pakistan, Palestine, Poland, Portugal, Qatar,
    Romania, Russia, Russian Federation, Saudi Arabia, Serbia, Singapore, Slovakia, Slovenia,
    South Africa, South Korea, Spain, Sri Lanka, Sudan, Sweden, Switzerland, Syria, Taiwan,
    Tajikistan, Thailand, Turkey, Türkiye, Turkmenistan, Ukraine, United Arab Emirates, UAE,
    United Kingdom, UK, Britain, Great Britain, United States, US, USA, America, Uzbekistan,
    Venezuela, Vietnam, Yemen, USSR, Soviet Union, Crimea, Chechnya, Abkhazia, South Ossetia,
    Transnistria, Nagorno-Karabakh, Karabakh, Donbas, Donbass, Donetsk, Luhansk, Kabul, Tirana,
    Algiers, Yerevan, Canberra, Vienna, Baku, Manama, Dhaka, Minsk, Brussels, Sofia, Ottawa,
    Beijing, Zagreb, Havana, Nicosia, Prague, Copenhagen, Cairo, Tallinn, Helsinki, Paris,
    Tbilisi, Berlin, Athens, Budapest, New Delhi, Delhi, Jakarta, Tehran, Baghdad, Dublin,
    Jerusalem, Tel Aviv, Rome, Tokyo, Amman, Astana, Nur-Sultan, Akmola, Nairobi, Pristina,
    Bishkek, Riga, Beirut, Tripoli, Vilnius, Kuala Lumpur, Chisinau, Ulaanbaatar, Ulan Bator,
    Podgorica, Rabat, Kathmandu, Amsterdam, The Hague, Wellington, Abuja, Pyongyang, Skopje, Oslo,
    Muscat, Islamabad, Warsaw, Lisbon, Doha, Bucharest, Moscow, Riyadh, Belgrade, Bratislava,
    Ljubljana, Pretoria, Seoul, Madrid, Colombo, Khartoum, Stockholm, Bern, Geneva, Damascus,
    Taipei, Dushanbe, Bangkok, Ankara, Istanbul, Ashgabat, Kyiv, Kiev, Abu Dhabi, Dubai, London,
    Washington, New York, Tashkent, Caracas, Hanoi, Sanaa, Almaty, Alma-Ata, Shymkent,
    Karaganda, Qaraghandy, Aqtobe, Aktobe, Atyrau, Aqtau, Aktau, Zhanaozen, Taraz, Oral, Uralsk,
    Pavlodar, Semey, Oskemen, Ust-Kamenogorsk, Kostanay, Qostanai, Kyzylorda, Qyzylorda,
    Turkistan, Mangystau, Mangghystau, Baikonur, Zhetisu, Abai, Osh, Jalal-Abad, Batken, Naryn,
    Talas, Issyk-Kul, Karakol, Chui, Kumtor, Khujand, Kulob, Khatlon, Gorno-Badakhshan, Khorog,
    Samarkand, Bukhara, Khiva, Ferghana, Fergana, Andijan, Namangan, Karakalpakstan, Nukus,
    Termez, Turkmenabat, Dashoguz, Gyumri, Ganja, Stepanakert, Khankendi, Lachin, Batumi,
    Kutaisi, Sukhumi, Tskhinvali, Odesa, Odessa, Kharkiv, Lviv, Dnipro, Zaporizhzhia, Kherson,
    Mariupol, Mykolaiv, Gomel, Homel, Grodno, Hrodna, Brest, Vitebsk, Mogilev, Saint Petersburg,
    St. Petersburg, Kazan, Novosibirsk, Yekaterinburg, Vladivostok, Sochi, Grozny, Siberia,
    Kaliningrad, Murmansk, Rostov, Belgorod, Kursk, Dagestan, Tatarstan, Bashkortostan, Caucasus,
    North Caucasus, South Caucasus, Central Asia, Eurasia, Europe, Asia, Africa, Middle East,
    Balkans, Baltic, Arctic, Caspian, Caspian Sea, Black Sea, Aral Sea, Ferghana Valley, Pamir,
    Pamirs, Xinjiang, Hong Kong, Gaza, West Bank, Latin America, Scandinavia, Kurdistan,
    Россия, Российская Федерация, РФ, Казахстан, Кыргызстан, Киргизия, Узбекистан, Таджикистан,
    Туркмения, Туркменистан, Армения, Азербайджан, Грузия, Белоруссия, Беларусь, Украина,
    Молдавия, Молдова, Латвия, Литва, Эстония, Китай, КНР, США, Америка, Германия, Франция,
    Великобритания, Британия, Турция, Иран, Афганистан, Монголия, Пакистан, Индия, Япония,
    Польша, Израиль, Сирия, Крым, Донбасс, Москва, Астана, Нур-Султан, Алматы, Алма-Ата,
    Бишкек, Ташкент, Душанбе, Ашхабад, Баку, Ереван, Тбилиси, Минск, Киев, Кишинев, Кишинёв,
    Пекин, Вашингтон, Лондон, Берлин, Париж, Анкара, Стамбул, Брюссель, Женева, Вена, Шымкент,
    Караганда, Актобе, Атырау, Актау, Жанаозен, Тараз, Павлодар, Семей, Усть-Каменогорск,
    Костанай, Кызылорда, Туркестан, Мангистау, Байконур, Ош, Джалал-Абад, Баткен, Нарын, Талас,
    Иссык-Куль, Каракол, Кумтор, Худжанд, Куляб, Хатлон, Самарканд, Бухара, Фергана, Андижан,
    Наманган, Каракалпакстан, Нукус, Санкт-Петербург, Петербург, Казань, Новосибирск, Сибирь,
    Кавказ, Европа, Азия, Центральная Азия, Средняя Азия, Евразия, Ближний Восток,
    Қазақстан, Ресей, Қырғызстан, Өзбекстан, Тәжікстан, Түрікменстан, Қытай, Әзербайжан,
    Армения, Грузия, Украина, Беларусь, Астана, Алматы, Шымкент, Қарағанды, Ақтөбе, Атырау,
    Ақтау, Жаңаөзен, Тараз, Павлодар, Семей, Өскемен, Қостанай, Қызылорда, Түркістан,
    Маңғыстау, Жетісу, Абай, Мәскеу, Бішкек, Ташкент, Еуропа, Америка, Орталық Азия, Талдықорған,
    Петропавл, Көкшетау, Орал, Жезқазған, Екібастұз, Теміртау"""
)
_ORGS = _entries(
    """Kremlin, White House, Pentagon, Akorda, Ak Orda, Mazhilis, Majilis, Senate, Duma,
    State Duma, Jogorku Kenesh, Verkhovna Rada, Rada, European Union, EU, NATO, UN, OSCE, CSTO,
    SCO, CIS, EAEU, IMF, World Bank, WHO, WTO, OPEC, Gazprom, Rosneft, Lukoil, Rosatom,
    KazMunayGas, Samruk-Kazyna, Kazatomprom, Reuters, AFP, AP, TASS, RIA Novosti, Interfax,
    RFE/RL, Amanat, Nur Otan, Georgian Dream, Кремль, Белый дом, Пентагон, Акорда, Мажилис,
    Сенат, Госдума, Государственная дума, Жогорку Кенеш, Верховная рада, Рада, Евросоюз,
    ЕС, НАТО, ООН, ОБСЕ, ОДКБ, ШОС, СНГ, ЕАЭС, МВФ, Всемирный банк, Газпром, Роснефть,
    Лукойл, Росатом, КазМунайГаз, Самрук-Казына, Казатомпром, ТАСС, РИА Новости, Интерфакс,
    Аманат, Нур Отан, Ақорда, Мәжіліс, Сенат, Аманат, ҰҚК, ІІМ, ТЖМ"""
)
FIRST_NAMES = _words(
    """Aleksandr Alexander Alexandr Alexei Aleksei Alexey Andrei Andrey Anton Arkady Boris
    Dmitry Dmitri Evgeny Yevgeny Fyodor Gennady Igor Ilya Ivan Konstantin Maksim Maxim Mikhail
    Nikolai Nikolay Oleg Pavel Pyotr Roman Ruslan Sergei Sergey Stanislav Vadim Valery Vasily
    Viktor Vitaly Vladimir Vladislav Vyacheslav Yury Yuri Anna Maria Maria Elena Yelena Olga
    Natalia Natalya Tatiana Tatyana Irina Svetlana Ekaterina Yekaterina Marina Elvira Valentina
    Lyudmila Yulia Ksenia Nursultan Qasym-Zhomart Kassym-Jomart Kasym-Zhomart Karim Daulet Anuar
    Askar Alikhan Aibek Aidos Almas Arman Asset Bakhyt Bolat Dariga Erlan Yerlan Marat Nurlan
    Rakhat Samat Serik Timur Yerzhan Zhanar Aigerim Aliya Dinara Gulnara Olzhas Kairat Berik
    Dauren Nurzhan Murat Azamat Beibut Saule Sadyr Kamchybek Almazbek Sooronbay Kurmanbek
    Akylbek Adylbek Roza Emomali Rustam Shavkat Islam Abdulaziz Serdar Gurbanguly Ilham
    Mehriban Nikol Serzh Robert Levon Ararat Salome Irakli Mikheil Bidzina Giorgi Alyaksandr
    Svyatlana Sviatlana Ales Volodymyr Petro Dmytro Oleksandr Oleksiy Andriy Maia Ursula
    Charles Josep Kaja Emmanuel Olaf Joe Donald Antony Jake Kamala Jerome Janet Xi Recep
    António Antonio Angela Rishi Keir John James Michael David William Richard Thomas Mark
    Paul Peter George Mary Elizabeth Jennifer Sarah Susan Laura Emily Sophie Kristalina
    Ajay Narendra Shehbaz Imran Ebrahim Masoud Ali Mohammed Muhammad Ahmed Hassan
    Қасым-Жомарт Нұрсұлтан Әлихан Олжас Қайрат Дәурен Бақытжан Ерлан Асқар Айгерім Дариға
    Касым-Жомарт Нурсултан Алихан Олжас Кайрат Карим Даулет Ануар Садыр Камчыбек Эмомали
    Шавкат Ильхам Никол Сергей Владимир Дмитрий Мария Эльвира Алексей Михаил Александр"""
)
PHRASE_STOP_EN = STOP_EN | TITLE_HEADS
PHRASE_STOP_RU = STOP_RU | RU_TITLES
SAME_PLACE = _groups(
    """Kazakhstan = Казахстан = Қазақстан
    Russia = Россия = Ресей = Russian Federation = Российская Федерация = РФ
    Kyrgyzstan = Кыргызстан = Киргизия = Қырғызстан = Kyrgyz Republic
    Uzbekistan = Узбекистан = Өзбекстан
    Tajikistan = Таджикистан = Тәжікстан
    Turkmenistan = Туркменистан = Туркмения = Түрікменстан
    Armenia = Армения
    Azerbaijan = Азербайджан = Әзербайжан
    Georgia = Грузия
    Belarus = Беларусь = Белоруссия
    Ukraine = Украина
    Moldova = Молдова = Молдавия
    China = Китай = Қытай = КНР
    United States = US = USA = США = America = Америка
    Germany = Германия
    France = Франция
    Britain = United Kingdom = UK = Великобритания = Британия
    Turkey = Türkiye = Турция
    Iran = Иран
    Afghanistan = Афганистан
    Mongolia = Монголия
    Moscow = Москва = Мәскеу
    Astana = Астана = Nur-Sultan = Нур-Султан
    Almaty = Алматы = Alma-Ata = Алма-Ата
    Bishkek = Бишкек = Бішкек
    Tashkent = Ташкент
    Dushanbe = Душанбе
    Ashgabat = Ашхабад
    Baku = Баку
    Yerevan = Ереван
    Tbilisi = Тбилиси
    Minsk = Минск
    Kyiv = Kiev = Киев
    Beijing = Пекин
    Washington = Вашингтон
    London = Лондон
    Brussels = Брюссель
    Shymkent = Шымкент
    Karaganda = Qaraghandy = Караганда = Қарағанды
    Aqtobe = Aktobe = Актобе = Ақтөбе
    Atyrau = Атырау
    Aqtau = Aktau = Актау = Ақтау
    Zhanaozen = Жанаозен = Жаңаөзен
    Central Asia = Центральная Азия = Средняя Азия = Орталық Азия
    Europe = Европа = Еуропа
    Crimea = Крым
    Donbas = Donbass = Донбасс"""
)
_PLACES = _PLACES | frozenset(SAME_PLACE)
