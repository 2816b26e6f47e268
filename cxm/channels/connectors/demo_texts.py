# Japanese text uses full-width exclamation and question marks, which RUF001 flags as look-alikes.
# ruff: noqa: RUF001
"""What the demo network's people write: the demo brands' products, the people (by language),
and the texts and openers the demo connector fills in, by language and sentiment."""

from __future__ import annotations

from dataclasses import dataclass

EMOJI = {
    "positive": ("☕", "😍", "👍", "🙌", "✨"),
    "neutral": ("🤔", "🙏", "👀"),
    "negative": ("😤", "😞", "👎"),
}

PRODUCTS = {
    "Kopi Nusantara": (
        "Kopi Nusantara Gula Aren",
        "Kopi Nusantara Cold Brew 1L",
        "Kopi Nusantara Arabika Gayo 250g",
        "Kopi Nusantara Tubruk sachet",
    ),
    "Teh Segar": ("Teh Segar 1L", "Teh Segar Melati 350ml", "Teh Segar Lemon", "Teh Segar Tarik sachet"),
    "Rival Coffee": ("Rival Coffee Espresso Blend", "Rival Coffee Oat Latte", "Rival Coffee Cold Brew can"),
}


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    city: str  # as the person writes it
    city_en: str
    country: str  # ISO 3166 alpha-2


def _people(rows: str) -> tuple[DemoPerson, ...]:
    return tuple(DemoPerson(*(part.strip() for part in row.split("|"))) for row in rows.strip().splitlines())


# Earlier people in each list write more often (weights 1, 1/2, 1/3...), so regulars emerge.
PEOPLE: dict[str, tuple[DemoPerson, ...]] = {
    "id": _people("""
        sari.wulandari | Sari Wulandari | Jakarta | Jakarta | ID
        budi_santoso | Budi Santoso | Surabaya | Surabaya | ID
        rina.kartika | Rina Kartika | Bandung | Bandung | ID
        dimas.pratama | Dimas Pratama | Yogyakarta | Yogyakarta | ID
        ayu_lestari | Ayu Lestari | Denpasar | Denpasar | ID
        fajar.nugroho | Fajar Nugroho | Medan | Medan | ID
        putri.amelia | Putri Amelia | Makassar | Makassar | ID
        andi.saputra | Andi Saputra | Jakarta | Jakarta | ID
        nadia.rahma | Nadia Rahma | Semarang | Semarang | ID
        yoga.firmansyah | Yoga Firmansyah | Bekasi | Bekasi | ID
    """),
    "en": _people("""
        chloe.tan | Chloe Tan | Singapore | Singapore | SG
        james.whitfield | James Whitfield | London | London | GB
        mia.santos | Mia Santos | Manila | Manila | PH
        priya.nair | Priya Nair | Kuala Lumpur | Kuala Lumpur | MY
        daniel.lim | Daniel Lim | Jakarta | Jakarta | ID
        oliver.reid | Oliver Reid | Sydney | Sydney | AU
        emma.clarke | Emma Clarke | Manchester | Manchester | GB
    """),
    "ms": _people("""
        aisyah.rahman | Aisyah Rahman | Kuala Lumpur | Kuala Lumpur | MY
        hafiz.ismail | Hafiz Ismail | Johor Bahru | Johor Bahru | MY
        nurul.huda | Nurul Huda | Pulau Pinang | Penang | MY
        amir.hakim | Amir Hakim | Shah Alam | Shah Alam | MY
        siti.zulaikha | Siti Zulaikha | Singapura | Singapore | SG
    """),
    "tl": _people("""
        joanna.reyes | Joanna Reyes | Maynila | Manila | PH
        mark.delacruz | Mark Dela Cruz | Quezon City | Quezon City | PH
        bea.villanueva | Bea Villanueva | Cebu | Cebu | PH
        paolo.garcia | Paolo Garcia | Davao | Davao | PH
    """),
    "es": _people("""
        lucia.fernandez | Lucía Fernández | Madrid | Madrid | ES
        javier.moreno | Javier Moreno | Barcelona | Barcelona | ES
        camila.rojas | Camila Rojas | Ciudad de México | Mexico City | MX
        diego.herrera | Diego Herrera | Valencia | Valencia | ES
    """),
    "pt": _people("""
        ana.souza | Ana Souza | São Paulo | São Paulo | BR
        joao.pereira | João Pereira | Lisboa | Lisbon | PT
        mariana.costa | Mariana Costa | Rio de Janeiro | Rio de Janeiro | BR
    """),
    "fr": _people("""
        camille.martin | Camille Martin | Paris | Paris | FR
        louis.bernard | Louis Bernard | Lyon | Lyon | FR
        chloe.tremblay | Chloé Tremblay | Montréal | Montreal | CA
    """),
    "de": _people("""
        lena.schmidt | Lena Schmidt | Berlin | Berlin | DE
        jonas.weber | Jonas Weber | München | Munich | DE
        sophie.huber | Sophie Huber | Wien | Vienna | AT
    """),
    "ja": _people("""
        yuki.tanaka | 田中 由紀 | 東京 | Tokyo | JP
        kenji.sato | 佐藤 健二 | 大阪 | Osaka | JP
        haruka.ito | 伊藤 遥 | 福岡 | Fukuoka | JP
    """),
    "vi": _people("""
        linh.nguyen | Nguyễn Thùy Linh | TP. Hồ Chí Minh | Ho Chi Minh City | VN
        minh.tran | Trần Quang Minh | Hà Nội | Hanoi | VN
        thao.le | Lê Phương Thảo | Đà Nẵng | Da Nang | VN
    """),
    "th": _people("""
        nattaya.s | ณัฐธยา ศรีสุข | กรุงเทพฯ | Bangkok | TH
        somchai.k | สมชาย แก้วมณี | เชียงใหม่ | Chiang Mai | TH
        pimchanok.w | พิมพ์ชนก วงศ์ใหญ่ | ภูเก็ต | Phuket | TH
    """),
    "ar": _people("""
        omar.haddad | عمر الحداد | دبي | Dubai | AE
        layla.mansour | ليلى منصور | الرياض | Riyadh | SA
        youssef.ali | يوسف علي | القاهرة | Cairo | EG
        noura.alsabah | نورة الصباح | الكويت | Kuwait City | KW
    """),
}

# Slots: {brand}, {product} (its name includes the brand), {city} (the writer's own city).
# Every text names the brand or a product, so brand keyword searches find it like a real mention.
TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "id": {
        "positive": (
            "{product} enak banget, manisnya pas dan nggak bikin eneg.",
            "Pelayanan {brand} cabang {city} ramah sekali, baristanya sampai hafal pesanan saya.",
            "Pesan {product} lewat ojol, 20 menit sudah sampai dan masih dingin. Mantap!",
            "Akhirnya nemu yang cocok di lidah. {brand} juara!",
            "Harga {product} masih terjangkau untuk kualitas segini. Langganan terus deh.",
            "Outlet {brand} yang baru di {city} nyaman buat kerja, colokannya banyak.",
        ),
        "neutral": (
            "Kapan promo {brand} berakhir?",
            "Min, {product} sudah ready lagi belum?",
            "Outlet {brand} di {city} buka jam berapa ya kalau hari Minggu?",
            "Ada yang sudah coba {product}? Rasanya gimana?",
            "Bisa bayar pakai QRIS nggak di {brand} {city}?",
            "Apakah {brand} melayani pengiriman ke luar {city}?",
        ),
        "negative": (
            "Pesanan {product} saya sudah 2 jam belum datang juga. Gimana ini?",
            "Kok rasa {product} sekarang beda ya, lebih encer dan pahit.",
            "Harga {brand} naik lagi, padahal ukurannya makin kecil.",
            "Antre 30 menit di {brand} {city}, pesanan malah salah.",
            "Botol {product} yang saya terima bocor. Mohon dibantu refund.",
            "Kecewa, kasir {brand} {city} jutek waktu saya tanya soal promo.",
        ),
    },
    "en": {
        "positive": (
            "Just tried the {product} and honestly it's the smoothest I've had this year.",
            "Shout-out to the {brand} crew in {city}, they had my order ready before I reached the counter.",
            "{product} arrived in 25 minutes, still cold, packaging spotless.",
            "Switched the office pantry to {brand} and everyone keeps asking where it's from.",
            "The {product} isn't too sweet, which is exactly what I wanted. Well done {brand}.",
        ),
        "neutral": (
            "Is the {product} back in stock? Couldn't find it at the {city} store yesterday.",
            "Does anyone know when the {brand} promo ends?",
            "What are the opening hours of the {brand} outlet in {city} on public holidays?",
            "Trying {brand} for the first time today. Any recommendations?",
            "Does {brand} deliver to {city} or is it pickup only?",
        ),
        "negative": (
            "Ordered the {product} two hours ago and it still hasn't arrived.",
            "The {product} tasted burnt today. Not the usual {brand} quality.",
            "Prices went up again at {brand} in {city}? That's the second time this year.",
            "Waited 20 minutes at the {brand} store in {city} and nobody took my order.",
            "My {product} came with a broken seal. Who do I contact for a refund?",
        ),
    },
    "ms": {
        "positive": (
            "{product} memang sedap, tak terlalu manis.",
            "Staf {brand} di {city} sangat mesra dan cepat layan.",
            "Penghantaran laju, {product} sampai masih sejuk. Terbaik!",
            "Harga {product} berpatutan untuk kualiti macam ni. Saya akan beli lagi.",
        ),
        "neutral": (
            "Bila promosi {brand} tamat?",
            "{product} dah ada stok semula ke?",
            "Cawangan {brand} di {city} buka pukul berapa pada hari Ahad?",
            "Ada sesiapa dah cuba {product}? Macam mana rasanya?",
        ),
        "negative": (
            "Dah sejam tunggu {product} tapi belum sampai lagi.",
            "Rasa {product} hari ni lain macam, terlalu pahit.",
            "Kenapa harga {brand} naik lagi? Mahal sangat sekarang.",
            "Pesanan saya salah dan staf {brand} di {city} tak minta maaf pun.",
        ),
    },
    "tl": {
        "positive": (
            "Ang sarap ng {product}! Hindi masyadong matamis.",
            "Ang bait ng mga staff ng {brand} sa {city}, ang bilis pa ng serbisyo.",
            "Dumating agad yung {product}, malamig pa. Salamat!",
            "Sulit sa presyo ang {product}. Bibili ulit ako.",
        ),
        "neutral": (
            "May stock na po ba ulit ng {product}?",
            "Hanggang kailan po ang promo ng {brand}?",
            "Anong oras po nagbubukas ang {brand} sa {city} tuwing Linggo?",
            "May nakasubok na ba ng {product}? Okay ba?",
        ),
        "negative": (
            "Dalawang oras na, wala pa rin yung order kong {product}.",
            "Iba na ang lasa ng {product}, parang matabang na.",
            "Ang mahal na ng {brand} ngayon, tumaas na naman ang presyo.",
            "Mali ang order ko sa {brand} {city} at ang tagal pang inayos.",
        ),
    },
    "es": {
        "positive": (
            "El {product} está buenísimo, suave y nada amargo.",
            "Atención de diez en {brand} {city}, muy amables.",
            "Pedí un {product} y llegó en 20 minutos, todavía frío. ¡Genial!",
            "Calidad-precio inmejorable. Ya soy cliente fijo de {brand}.",
        ),
        "neutral": (
            "¿Hay stock otra vez del {product}?",
            "¿Hasta cuándo dura la promoción de {brand}?",
            "¿A qué hora abre la tienda de {brand} en {city} los domingos?",
            "¿Alguien ha probado el {product}? ¿Qué tal está?",
        ),
        "negative": (
            "Llevo dos horas esperando mi pedido de {product}.",
            "El {product} de hoy sabía a quemado. No es la calidad de siempre.",
            "Otra subida de precios en {brand}... cada vez más caro.",
            "Me cobraron dos veces en la tienda de {brand} en {city} y nadie me da una solución.",
        ),
    },
    "pt": {
        "positive": (
            "O {product} é delicioso, equilibrado e nada amargo.",
            "Atendimento excelente na loja da {brand} em {city}.",
            "Pedi um {product} e chegou rapidinho, ainda gelado. Adorei!",
            "Preço justo pela qualidade. Virei cliente da {brand}.",
        ),
        "neutral": (
            "O {product} já voltou ao estoque?",
            "Até quando vai a promoção da {brand}?",
            "Que horas abre a loja da {brand} em {city} no domingo?",
            "Alguém já experimentou o {product}? Vale a pena?",
        ),
        "negative": (
            "Meu pedido de {product} está atrasado há mais de uma hora.",
            "O {product} veio com gosto de queimado hoje. Decepcionante.",
            "A {brand} aumentou o preço de novo? Está ficando caro demais.",
            "A embalagem do {product} chegou vazando. Quero reembolso.",
        ),
    },
    "fr": {
        "positive": (
            "Le {product} est vraiment excellent, doux et parfumé.",
            "Accueil adorable à la boutique {brand} de {city}.",
            "Livraison en 20 minutes, {product} encore bien frais. Bravo !",
            "Très bon rapport qualité-prix, je recommande {brand}.",
        ),
        "neutral": (
            "Le {product} est-il de nouveau en stock ?",
            "Jusqu'à quand dure la promo {brand} ?",
            "La boutique {brand} de {city} est-elle ouverte le dimanche ?",
            "Quelqu'un a déjà goûté le {product} ? Vous en pensez quoi ?",
        ),
        "negative": (
            "Commande de {product} toujours pas livrée après deux heures. Inadmissible.",
            "Le {product} avait un goût de brûlé aujourd'hui, dommage.",
            "Encore une hausse de prix chez {brand}, ça devient trop cher.",
            "Service très lent chez {brand} à {city}, 25 minutes pour un simple café.",
        ),
    },
    "de": {
        "positive": (
            "Der {product} ist richtig gut, mild und aromatisch.",
            "Super freundliches Team bei {brand} in {city}!",
            "Lieferung in 20 Minuten, {product} noch schön kalt. Top!",
            "Preis-Leistung stimmt, ich bestelle wieder bei {brand}.",
        ),
        "neutral": (
            "Ist der {product} wieder vorrätig?",
            "Wie lange läuft die Aktion von {brand} noch?",
            "Hat die {brand}-Filiale in {city} sonntags geöffnet?",
            "Hat jemand schon den {product} probiert? Lohnt sich das?",
        ),
        "negative": (
            "Meine Bestellung ({product}) ist seit zwei Stunden überfällig.",
            "Der {product} schmeckte heute verbrannt. So kenne ich {brand} nicht.",
            "Schon wieder teurer geworden bei {brand}. Schade.",
            "Die Flasche {product} kam ausgelaufen an. Wie bekomme ich mein Geld zurück?",
        ),
    },
    "ja": {
        "positive": (
            "{product}、香りが良くて本当においしい！",
            "{city}の{brand}の店員さん、とても親切でした。",
            "{product}を注文したら20分で届いた。まだ冷たくて最高。",
            "この値段でこの味なら大満足。{brand}また買います。",
        ),
        "neutral": (
            "{product}の在庫はもう戻りましたか？",
            "{brand}のキャンペーンはいつまでですか？",
            "{city}の{brand}は日曜日も営業していますか？",
            "{product}を飲んだことある人いますか？感想を聞きたいです。",
        ),
        "negative": (
            "{product}を注文して2時間経つのにまだ届きません。",
            "今日の{product}は焦げたような味がした。残念。",
            "{brand}また値上げ？ちょっと高すぎる。",
            "届いた{product}のボトルが漏れていました。返金してほしいです。",
        ),
    },
    "vi": {
        "positive": (
            "{product} ngon thật sự, vị vừa phải không quá ngọt.",
            "Nhân viên {brand} ở {city} rất thân thiện và nhiệt tình.",
            "Đặt {product} mà 20 phút đã giao tới, vẫn còn lạnh. Tuyệt vời!",
            "Giá hợp lý so với chất lượng, mình sẽ ủng hộ {brand} dài dài.",
        ),
        "neutral": (
            "{product} đã có hàng lại chưa shop?",
            "Chương trình khuyến mãi của {brand} đến khi nào kết thúc vậy?",
            "Cửa hàng {brand} ở {city} mở cửa lúc mấy giờ vào Chủ nhật?",
            "Có ai uống thử {product} chưa? Thấy sao?",
        ),
        "negative": (
            "Đặt {product} hai tiếng rồi mà vẫn chưa thấy giao.",
            "Hôm nay {product} có vị khét, không giống mọi khi.",
            "{brand} lại tăng giá nữa à? Đắt quá rồi.",
            "Chai {product} giao tới bị rò rỉ, mong shop hoàn tiền.",
        ),
    },
    "th": {
        "positive": (
            "{product} อร่อยมาก หอมและไม่หวานเกินไป",
            "พนักงาน {brand} สาขา{city} บริการดีมากค่ะ",
            "สั่ง {product} ไป 20 นาทีก็ได้แล้ว ยังเย็นอยู่เลย ประทับใจ",
            "ราคาคุ้มค่ากับคุณภาพ จะกลับมาซื้อ {brand} อีกแน่นอน",
        ),
        "neutral": (
            "{product} มีของกลับมาหรือยังคะ",
            "โปรโมชั่นของ {brand} หมดเขตวันไหนครับ",
            "{brand} สาขา{city} เปิดกี่โมงวันอาทิตย์คะ",
            "มีใครเคยลอง {product} บ้างไหม รสชาติเป็นยังไง",
        ),
        "negative": (
            "สั่ง {product} ไปสองชั่วโมงแล้วยังไม่ได้ของเลย",
            "วันนี้ {product} รสชาติไหม้ๆ ไม่เหมือนเดิม",
            "{brand} ขึ้นราคาอีกแล้วเหรอ แพงเกินไป",
            "ขวด {product} ที่ได้รับรั่ว ขอคืนเงินได้ไหมคะ",
        ),
    },
    "ar": {
        "positive": (
            "{product} رائع جداً، طعمه متوازن وغير مر.",
            "خدمة ممتازة في فرع {brand} في {city}، الموظفون لطفاء جداً.",
            "وصل طلب {product} خلال عشرين دقيقة وما زال بارداً. شكراً!",
            "السعر مناسب مقارنة بالجودة، سأطلب من {brand} مرة أخرى بالتأكيد.",
        ),
        "neutral": (
            "هل عاد {product} إلى المخزون؟",
            "متى ينتهي عرض {brand}؟",
            "ما هي مواعيد عمل فرع {brand} في {city} يوم الجمعة؟",
            "هل جرّب أحد {product}؟ ما رأيكم؟",
        ),
        "negative": (
            "طلبت {product} منذ ساعتين ولم يصل حتى الآن.",
            "طعم {product} اليوم محروق، ليس كالمعتاد.",
            "{brand} رفعت الأسعار مرة أخرى؟ أصبح غالياً جداً.",
            "وصلت عبوة {product} مسربة، أريد استرداد المبلغ.",
        ),
    },
}

# A neutral review is a verdict, not a question.
REVIEW_NEUTRAL = {
    "id": (
        "{product} lumayan, rasanya standar untuk harganya.",
        "Biasa saja. {product} enak, tapi pengirimannya agak lama.",
    ),
    "en": (
        "{product} is decent, nothing special for the price.",
        "It's fine. The {product} tastes good, but delivery took a while.",
    ),
    "ms": (
        "{product} boleh tahan, rasa biasa-biasa saja.",
        "Okey je. {product} sedap tapi penghantaran agak lambat.",
    ),
    "tl": (
        "Okay lang ang {product}, sakto lang sa presyo.",
        "Pwede na. Masarap ang {product} pero medyo natagalan ang delivery.",
    ),
    "es": (
        "El {product} está bien, nada especial para el precio.",
        "Correcto. El {product} tiene buen sabor, pero el envío tardó.",
    ),
    "pt": (
        "O {product} é razoável, nada de especial pelo preço.",
        "Ok. O {product} tem sabor bom, mas a entrega demorou um pouco.",
    ),
    "fr": (
        "Le {product} est correct, sans plus pour le prix.",
        "Correct. Le {product} a bon goût, mais la livraison a traîné.",
    ),
    "de": (
        "Der {product} ist okay, für den Preis nichts Besonderes.",
        "In Ordnung. Der {product} schmeckt gut, aber die Lieferung dauerte.",
    ),
    "ja": ("{product}は普通かな。値段相応です。", "{product}の味は良いけど、配達に少し時間がかかりました。"),
    "vi": (
        "{product} tạm ổn, không có gì đặc biệt so với giá.",
        "Cũng được. {product} vị ngon nhưng giao hàng hơi lâu.",
    ),
    "th": ("{product} ก็โอเค รสชาติธรรมดาสมราคา", "พอใช้ได้ {product} รสชาติดีแต่ส่งของช้าไปหน่อย"),
    "ar": (
        "{product} مقبول، لا شيء مميز مقارنة بالسعر.",
        "جيد نوعاً ما. طعم {product} جميل لكن التوصيل تأخر قليلاً.",
    ),
}

# How a direct message to the brand opens.
DM_OPENERS = {
    "id": "Halo min! ", "en": "Hi {brand} team! ", "ms": "Hai admin! ", "tl": "Hello po! ",
    "es": "¡Hola! ", "pt": "Olá! ", "fr": "Bonjour ! ", "de": "Hallo! ", "ja": "こんにちは。",
    "vi": "Chào shop! ", "th": "สวัสดีครับ ", "ar": "مرحباً! ",
}  # fmt: skip

# How a comment answering someone else's post opens, by the commenter's sentiment.
REPLY_OPENERS = {
    "id": ("Setuju banget! ", "Iya, aku juga mau tahu. ", "Sama, aku juga ngalamin. "),
    "en": ("Totally agree! ", "Good question, I was wondering too. ", "Same thing happened to me. "),
    "ms": ("Setuju! ", "Saya pun nak tahu juga. ", "Saya pun kena benda yang sama. "),
    "tl": ("Totoo! ", "Oo nga, gusto ko rin malaman. ", "Ganyan din nangyari sa akin. "),
    "es": (
        "¡Totalmente de acuerdo! ",
        "Buena pregunta, yo también quiero saberlo. ",
        "A mí me pasó lo mismo. ",
    ),
    "pt": ("Concordo totalmente! ", "Boa pergunta, também quero saber. ", "Aconteceu o mesmo comigo. "),
    "fr": ("Tout à fait d'accord ! ", "Bonne question, je me demandais aussi. ", "Pareil pour moi. "),
    "de": ("Stimmt total! ", "Gute Frage, würde mich auch interessieren. ", "Ging mir genauso. "),
    "ja": ("わかります！", "私も気になっていました。", "私も同じことがありました。"),
    "vi": ("Đồng ý luôn! ", "Mình cũng đang thắc mắc. ", "Mình cũng bị y như vậy. "),
    "th": ("เห็นด้วยเลย ", "อยากรู้เหมือนกันค่ะ ", "เจอแบบเดียวกันเลย "),
    "ar": ("أتفق تماماً! ", "سؤال جيد، أريد أن أعرف أيضاً. ", "حدث معي نفس الشيء. "),
}

# The WhatsApp-like demo account: what customers write to the brand's business number.
WHATSAPP_TEXTS = {
    "id": {
        "positive": (
            "Pesanan {product} saya sudah sampai di {city}, makasih cepat banget! 🙏",
            "Mau pesan lagi {product} 2 pack, bisa kirim ke {city} minggu ini?",
            "Terima kasih adminnya ramah, {product} enak sekali.",
        ),
        "neutral": (
            "Apakah {product} ready stok? Saya di {city}.",
            "Jam buka toko {brand} di {city} sampai jam berapa ya?",
            "Bisa minta info harga grosir {product}?",
            "Cara bayar pakai transfer bank bisa? Mau order {product}.",
        ),
        "negative": (
            "Pesanan {product} saya belum datang sudah 5 hari, nomor pesanan 48213. Tolong dicek.",
            "{product} yang saya terima kemasannya bocor. Minta ganti ya.",
            "Sudah transfer tapi status pesanan masih belum dibayar, gimana ini?",
        ),
    },
    "en": {
        "positive": (
            "My {product} arrived in {city} today, thanks for the quick delivery!",
            "Can I reorder two packs of {product}? Same address in {city}.",
            "Thanks for sorting my order so fast, {product} tastes great.",
        ),
        "neutral": (
            "Is {product} in stock? I'm in {city}.",
            "What time does the {brand} shop in {city} close today?",
            "Do you ship {product} to {city}, and how long does it take?",
        ),
        "negative": (
            "My {product} order still hasn't arrived after 5 days, order number 48213. Please check.",
            "The {product} I received was leaking. I'd like a replacement please.",
            "I was charged twice for my {product} order, please refund one.",
        ),
    },
}

# The Instagram-like demo account: comments under the brand's own posts.
INSTAGRAM_COMMENTS = {
    "id": {
        "positive": (
            "Enak banget {product} ini 😍",
            "Wajib coba! Favorit aku di {city}",
            "Keren kontennya min 🙌",
        ),
        "neutral": ("Di {city} udah ada belum min?", "Harganya berapa kak?", "Ini varian baru ya?"),
        "negative": (
            "Kok {product} di {city} kosong terus sih min",
            "Rasanya beda sama yang dulu 😞",
            "DM aku nggak dibalas-balas min",
        ),
    },
    "en": {
        "positive": ("Love {product} so much 😍", "Best in {city}, hands down!", "This looks amazing ✨"),
        "neutral": ("Is this available in {city}?", "How much is it?", "Is this a new flavour?"),
        "negative": (
            "{product} has been sold out in {city} for weeks",
            "Doesn't taste like it used to 😞",
            "Still waiting for a reply to my DM",
        ),
    },
}

# The YouTube-like demo account: comments under the brand's own videos, and the titles of other
# channels' videos about the brand (what a search per topic finds).
YOUTUBE_COMMENTS = {
    "id": {
        "positive": (
            "Videonya keren, jadi pengen coba {product} 🔥",
            "Udah langganan dari lama, {product} tetap juara",
            "Mantap kak, tutorialnya jelas banget",
        ),
        "neutral": (
            "Musiknya judulnya apa kak?",
            "Di {city} belinya di mana ya?",
            "Kapan upload video resep lagi?",
        ),
        "negative": (
            "Di video kelihatan enak, aslinya {product} beda jauh",
            "Kok harga {product} naik terus ya",
            "Udah komplain lewat email belum ada jawaban",
        ),
    },
    "en": {
        "positive": (
            "Great video, now I want to try {product} 🔥",
            "Been a fan for years, {product} never disappoints",
            "Loved the behind-the-scenes part!",
        ),
        "neutral": (
            "What's the song in this video?",
            "Where can I buy this in {city}?",
            "Will you post the recipe?",
        ),
        "negative": (
            "{product} looks nothing like this in real life",
            "Why does the price keep going up?",
            "Emailed support a week ago, still no answer",
        ),
    },
}
YOUTUBE_VIDEO_TITLES = {
    "id": (
        "Review jujur {product} — worth it?",
        "Nyobain {product} di {city}",
        "{brand} vs yang lain: blind test",
    ),
    "en": (
        "Honest review: {product}",
        "Trying {product} in {city}",
        "{brand} blind taste test",
    ),
}
