"""Static reference tables of the sample-feed generator: products, places, currencies.

The generator must run without any reference file, so everything it needs is written down here.
All numbers are *indicative*: plausible orders of magnitude chosen for a realistic sample, not
tariff, tax or exchange-rate data to value real goods with.

Product catalogue (``PRODUCTS``): 183 HS 2022 subheadings (HS6) over 50 chapters, 04-97, the
kind of goods that travel in e-commerce parcels. Each product has

- a short description, used for order titles and declaration descriptions;
- a log-normal unit price: ``median_eur`` and ``sigma`` of ``log(price)``, in EUR, so that
  ``exp(N(log(median), sigma))`` gives the price of one SKU (phone cases a few euros, laptops
  hundreds); a SKU keeps its price, each sale adds a few percent of noise;
- a mass per unit in kg (SKUs vary it by a log-normal factor, sigma 0.25);
- an indicative third-country duty rate in percent (roughly the EU's conventional rate), used
  to pick lower-duty headings for misclassification and to estimate revenue at stake;
- a popularity weight: how often sellers stock it and buyers buy it.
"""

from __future__ import annotations

from typing import NamedTuple


class Product(NamedTuple):
    hs6: str
    description: str
    group: str
    median_eur: float
    sigma: float
    mass_kg: float
    duty_pct: float
    popularity: float


# fmt: off
PRODUCTS: tuple[Product, ...] = (
    # food, drink, plants (chapters 04-24)
    Product("040900", "Natural honey, jar", "food", 9, 0.4, 0.5, 17.3, 0.5),
    Product("060290", "Live houseplant in pot", "garden", 12, 0.5, 0.8, 6.5, 0.2),
    Product("071239", "Dried shiitake mushrooms", "food", 8, 0.5, 0.25, 12.8, 0.3),
    Product("080132", "Cashew nuts, shelled", "food", 7, 0.4, 0.5, 0.0, 0.2),
    Product("081340", "Dried goji berries", "food", 6, 0.4, 0.3, 5.6, 0.3),
    Product("090121", "Roasted coffee beans", "food", 12, 0.4, 0.5, 7.5, 0.4),
    Product("090210", "Green tea, loose leaf", "food", 10, 0.6, 0.2, 3.2, 0.6),
    Product("090230", "Black tea bags", "food", 6, 0.5, 0.2, 0.0, 0.3),
    Product("091011", "Dried ginger root", "food", 5, 0.5, 0.2, 0.0, 0.1),
    Product("120991", "Vegetable seeds for sowing", "garden", 3, 0.6, 0.05, 0.0, 0.4),
    Product("170490", "Hard candy and sweets", "food", 5, 0.5, 0.3, 8.3, 0.4),
    Product("180632", "Chocolate bars", "food", 6, 0.5, 0.3, 8.3, 0.3),
    Product("190531", "Sweet biscuits, cookies", "food", 5, 0.5, 0.4, 9.0, 0.2),
    Product("210111", "Instant coffee", "food", 8, 0.4, 0.2, 9.0, 0.2),
    Product("210690", "Protein powder food supplement", "health", 25, 0.5, 1.0, 9.0, 0.7),
    Product("230910", "Dry dog and cat food", "pets", 20, 0.5, 2.0, 9.6, 0.2),
    Product("240412", "E-liquid refill with nicotine", "health", 4, 0.4, 0.05, 6.5, 0.4),
    # chemicals, cosmetics (chapters 30-35)
    Product("300490", "Pain relief patches", "health", 8, 0.5, 0.1, 0.0, 0.3),
    Product("321310", "Acrylic paint set", "art", 12, 0.6, 0.4, 6.5, 0.3),
    Product("330300", "Perfume, eau de parfum", "beauty", 25, 0.7, 0.3, 0.0, 0.6),
    Product("330410", "Lipstick", "beauty", 6, 0.6, 0.05, 0.0, 0.6),
    Product("330420", "Eye shadow palette", "beauty", 8, 0.6, 0.1, 0.0, 0.5),
    Product("330430", "Nail polish", "beauty", 4, 0.5, 0.05, 0.0, 0.5),
    Product("330499", "Face cream, moisturiser", "beauty", 12, 0.7, 0.15, 0.0, 0.9),
    Product("330510", "Shampoo", "beauty", 6, 0.5, 0.4, 0.0, 0.4),
    Product("330590", "Hair oil and hair mask", "beauty", 8, 0.5, 0.2, 0.0, 0.3),
    Product("330610", "Whitening toothpaste", "beauty", 4, 0.5, 0.15, 0.0, 0.2),
    Product("340130", "Liquid hand soap", "beauty", 4, 0.4, 0.4, 4.0, 0.2),
    Product("340600", "Scented candle", "home", 8, 0.6, 0.5, 0.0, 0.5),
    Product("350691", "Super glue, adhesive", "tools", 3, 0.5, 0.05, 6.5, 0.2),
    # plastics, rubber, leather (chapters 39-43)
    Product("391990", "Self-adhesive plastic tape", "tools", 3, 0.6, 0.1, 6.5, 0.3),
    Product("392310", "Plastic storage box", "home", 6, 0.6, 0.4, 6.5, 0.4),
    Product("392410", "Plastic tableware and lunch box", "kitchen", 5, 0.6, 0.2, 6.5, 0.5),
    Product("392490", "Plastic shower caddy and bath organiser", "home", 5, 0.6, 0.2, 6.5, 0.4),
    Product("392690", "Silicone phone case", "phone_accessories", 4, 0.6, 0.05, 6.5, 1.6),
    Product("401519", "Disposable nitrile gloves", "health", 6, 0.4, 0.5, 2.7, 0.3),
    Product("401699", "Silicone baking mat", "kitchen", 4, 0.5, 0.1, 2.5, 0.2),
    Product("420100", "Dog collar and leash", "pets", 8, 0.6, 0.1, 2.7, 0.5),
    Product("420212", "Hard-shell suitcase", "bags", 45, 0.5, 3.5, 3.7, 0.3),
    Product("420221", "Leather handbag", "bags", 40, 0.8, 0.7, 3.0, 0.4),
    Product("420222", "Canvas tote bag", "bags", 12, 0.6, 0.3, 9.7, 0.5),
    Product("420231", "Leather wallet", "bags", 15, 0.7, 0.1, 3.7, 0.5),
    Product("420232", "Card holder, polyester", "bags", 6, 0.6, 0.08, 9.7, 0.4),
    Product("420292", "Travel backpack, nylon", "bags", 20, 0.6, 0.7, 9.7, 0.7),
    Product("420329", "Leather gloves", "apparel", 15, 0.6, 0.15, 7.0, 0.2),
    Product("420330", "Leather belt", "apparel", 12, 0.6, 0.2, 5.0, 0.3),
    # wood, paper, books (chapters 44-49)
    Product("441490", "Wooden picture frame", "home", 8, 0.6, 0.4, 0.0, 0.3),
    Product("442199", "Wooden kitchen utensils", "kitchen", 6, 0.6, 0.3, 0.0, 0.3),
    Product("460219", "Seagrass storage basket", "home", 10, 0.5, 0.5, 3.7, 0.2),
    Product("482010", "Notebook and diary", "office", 5, 0.6, 0.3, 0.0, 0.5),
    Product("490199", "Printed book", "office", 12, 0.5, 0.45, 0.0, 0.5),
    Product("491191", "Art print poster", "art", 8, 0.7, 0.2, 0.0, 0.4),
    # textiles and apparel (chapters 57-63)
    Product("570500", "Area rug, synthetic", "home_textiles", 30, 0.6, 2.0, 8.0, 0.2),
    Product("610821", "Women's briefs, cotton", "apparel", 4, 0.5, 0.05, 12.0, 0.5),
    Product("610462", "Women's jogging trousers, cotton knit", "apparel", 14, 0.6, 0.3, 12.0, 0.6),
    Product("610463", "Women's leggings, polyester", "apparel", 10, 0.6, 0.2, 12.0, 0.8),
    Product("610910", "T-shirt, cotton", "apparel", 9, 0.6, 0.2, 12.0, 1.5),
    Product("610990", "T-shirt, polyester", "apparel", 8, 0.6, 0.15, 12.0, 0.8),
    Product("611020", "Pullover sweater, cotton", "apparel", 20, 0.6, 0.45, 12.0, 0.7),
    Product("611030", "Pullover sweater, acrylic", "apparel", 16, 0.6, 0.4, 12.0, 0.9),
    Product("611120", "Baby romper, cotton", "apparel", 10, 0.6, 0.15, 12.0, 0.5),
    Product("611241", "Women's swimsuit, polyester", "apparel", 12, 0.6, 0.15, 12.0, 0.6),
    Product("611420", "Hooded sweatshirt, cotton", "apparel", 18, 0.6, 0.5, 12.0, 0.6),
    Product("611595", "Socks, cotton", "apparel", 4, 0.5, 0.08, 12.0, 0.8),
    Product("611710", "Knitted scarf", "apparel", 8, 0.6, 0.15, 12.0, 0.4),
    Product("620140", "Men's padded jacket, polyester", "apparel", 40, 0.6, 0.8, 12.0, 0.5),
    Product("620342", "Men's jeans, cotton denim", "apparel", 25, 0.6, 0.6, 12.0, 0.8),
    Product("620443", "Women's dress, polyester", "apparel", 22, 0.7, 0.3, 12.0, 1.0),
    Product("620462", "Women's trousers, cotton", "apparel", 22, 0.6, 0.5, 12.0, 0.5),
    Product("620520", "Men's shirt, cotton", "apparel", 18, 0.6, 0.3, 12.0, 0.5),
    Product("620630", "Women's blouse, cotton", "apparel", 15, 0.6, 0.2, 12.0, 0.5),
    Product("620640", "Women's blouse, chiffon", "apparel", 14, 0.6, 0.2, 12.0, 0.6),
    Product("621210", "Bra", "apparel", 12, 0.6, 0.1, 6.5, 0.6),
    Product("621410", "Silk scarf", "apparel", 20, 0.7, 0.1, 8.0, 0.2),
    Product("630140", "Fleece blanket", "home_textiles", 25, 0.5, 1.5, 12.0, 0.3),
    Product("630231", "Bed linen set, cotton", "home_textiles", 30, 0.6, 1.2, 12.0, 0.4),
    Product("630260", "Bath towel, cotton terry", "home_textiles", 12, 0.6, 0.6, 12.0, 0.4),
    Product("630392", "Curtains, polyester", "home_textiles", 20, 0.6, 1.0, 12.0, 0.3),
    Product("630790", "Reusable face masks", "home_textiles", 4, 0.6, 0.05, 6.3, 0.4),
    # footwear, headgear, umbrellas, hair (chapters 64-67)
    Product("640291", "Rain boots, rubber", "footwear", 30, 0.6, 1.0, 17.0, 0.4),
    Product("640299", "Slippers and sandals, plastic", "footwear", 15, 0.6, 0.6, 17.0, 1.0),
    Product("640399", "Leather shoes", "footwear", 45, 0.6, 0.9, 8.0, 0.5),
    Product("640411", "Running shoes, textile upper", "footwear", 35, 0.7, 0.8, 16.9, 1.0),
    Product("640419", "Canvas sneakers", "footwear", 18, 0.6, 0.6, 17.0, 0.5),
    Product("650500", "Knitted beanie hat", "apparel", 8, 0.6, 0.1, 2.7, 0.6),
    Product("650610", "Bicycle helmet", "sports", 25, 0.6, 0.4, 2.7, 0.2),
    Product("660191", "Telescopic umbrella", "home", 10, 0.5, 0.4, 4.7, 0.3),
    Product("670290", "Artificial flowers", "home", 8, 0.6, 0.2, 4.7, 0.3),
    Product("670411", "Synthetic wig", "beauty", 20, 0.6, 0.3, 2.2, 0.3),
    Product("670420", "Human hair wig", "beauty", 60, 0.8, 0.3, 2.2, 0.3),
    # ceramics, glass, jewellery (chapters 69-71)
    Product("691200", "Stoneware mug and plate set", "kitchen", 10, 0.6, 0.5, 9.0, 0.4),
    Product("691390", "Ceramic figurine", "home", 12, 0.6, 0.4, 6.0, 0.2),
    Product("700719", "Tempered glass screen protector", "phone_accessories", 3, 0.6, 0.03, 3.0, 1.0),
    Product("701337", "Drinking glasses", "kitchen", 10, 0.5, 0.5, 11.0, 0.3),
    Product("701810", "Glass beads for jewellery making", "jewellery", 4, 0.6, 0.05, 7.0, 0.3),
    Product("711311", "Sterling silver ring", "jewellery", 25, 0.8, 0.03, 2.5, 0.6),
    Product("711319", "Gold necklace", "jewellery", 180, 0.8, 0.01, 2.5, 0.2),
    Product("711719", "Fashion earrings, base metal", "jewellery", 5, 0.7, 0.03, 4.0, 1.0),
    Product("711790", "Beaded bracelet", "jewellery", 4, 0.7, 0.03, 4.0, 0.5),
    # base metals and tools (chapters 73-83)
    Product("731815", "Screws and bolts, steel", "tools", 4, 0.6, 0.3, 3.7, 0.2),
    Product("732111", "Portable camping gas stove", "sports", 25, 0.5, 1.2, 2.7, 0.1),
    Product("732393", "Stainless steel kitchenware", "kitchen", 15, 0.6, 0.6, 3.2, 0.5),
    Product("732690", "Steel hooks and wall racks", "home", 8, 0.6, 0.4, 2.7, 0.4),
    Product("761510", "Aluminium frying pan", "kitchen", 20, 0.6, 1.0, 6.0, 0.3),
    Product("820551", "Kitchen gadget, peeler and grater", "kitchen", 6, 0.6, 0.2, 2.7, 0.5),
    Product("820559", "Hand tool set", "tools", 10, 0.6, 0.4, 2.7, 0.4),
    Product("821192", "Chef's knife", "kitchen", 15, 0.6, 0.2, 8.5, 0.2),
    Product("821220", "Razor blades", "beauty", 6, 0.5, 0.05, 2.7, 0.3),
    Product("821520", "Stainless cutlery set", "kitchen", 15, 0.5, 0.6, 8.5, 0.2),
    Product("830140", "Padlock", "tools", 8, 0.6, 0.2, 2.7, 0.2),
    Product("830630", "Metal photo frame", "home", 8, 0.5, 0.3, 2.7, 0.2),
    # machines and electronics (chapters 84-85)
    Product("841451", "Desk fan", "electronics", 15, 0.5, 1.0, 3.2, 0.3),
    Product("842310", "Bathroom scale", "electronics", 15, 0.5, 1.2, 1.7, 0.3),
    Product("844332", "Inkjet printer", "computers", 80, 0.6, 5.0, 0.0, 0.1),
    Product("845210", "Household sewing machine", "home", 90, 0.5, 6.0, 5.7, 0.05),
    Product("847130", "Laptop computer", "computers", 450, 0.5, 2.0, 0.0, 0.3),
    Product("847160", "Wireless keyboard and mouse", "computers", 18, 0.7, 0.4, 0.0, 0.8),
    Product("847170", "Solid-state drive", "computers", 45, 0.6, 0.1, 0.0, 0.4),
    Product("847330", "Computer accessories and parts", "computers", 12, 0.7, 0.2, 0.0, 0.6),
    Product("850440", "USB wall charger", "phone_accessories", 8, 0.6, 0.1, 1.5, 1.2),
    Product("850760", "Power bank, lithium-ion", "phone_accessories", 18, 0.6, 0.3, 2.7, 0.9),
    Product("850940", "Food blender", "kitchen", 35, 0.5, 2.0, 2.2, 0.2),
    Product("851310", "LED torch", "tools", 8, 0.6, 0.2, 2.7, 0.4),
    Product("851631", "Hair dryer", "beauty", 25, 0.6, 0.6, 2.7, 0.4),
    Product("851632", "Hair straightener", "beauty", 20, 0.6, 0.4, 2.7, 0.5),
    Product("851660", "Air fryer", "kitchen", 60, 0.5, 4.0, 2.7, 0.3),
    Product("851671", "Coffee machine", "kitchen", 70, 0.6, 3.0, 2.7, 0.2),
    Product("851713", "Smartphone", "electronics", 180, 0.7, 0.25, 0.0, 0.7),
    Product("851762", "Smartwatch", "electronics", 35, 0.7, 0.1, 0.0, 0.8),
    Product("851810", "USB microphone", "electronics", 15, 0.7, 0.2, 0.0, 0.3),
    Product("851822", "Bluetooth speaker", "electronics", 20, 0.7, 0.4, 2.0, 0.6),
    Product("851830", "Wireless earbuds", "electronics", 15, 0.8, 0.1, 2.0, 1.5),
    Product("852351", "USB flash drive and memory card", "computers", 8, 0.6, 0.02, 0.0, 0.7),
    Product("852589", "Action camera", "electronics", 40, 0.7, 0.2, 0.0, 0.4),
    Product("852872", "LED television", "electronics", 300, 0.5, 12.0, 14.0, 0.1),
    Product("853952", "LED light bulb", "home", 6, 0.6, 0.1, 2.7, 0.5),
    Product("854340", "Electronic cigarette", "health", 15, 0.6, 0.1, 0.0, 0.5),
    Product("854370", "Ultrasonic cleaner", "electronics", 20, 0.6, 0.3, 2.7, 0.3),
    Product("854442", "USB charging cable", "phone_accessories", 4, 0.6, 0.05, 3.3, 1.3),
    # vehicles, instruments, watches, music (chapters 87-92)
    Product("870899", "Car accessories and parts", "auto", 20, 0.8, 0.8, 4.5, 0.5),
    Product("871160", "Electric scooter", "sports", 350, 0.5, 15.0, 6.0, 0.1),
    Product("871200", "Bicycle", "sports", 250, 0.6, 14.0, 14.0, 0.05),
    Product("871410", "Motorcycle parts", "auto", 25, 0.7, 0.8, 3.7, 0.2),
    Product("871499", "Bicycle accessories", "sports", 12, 0.7, 0.4, 4.7, 0.4),
    Product("880622", "Camera drone", "electronics", 90, 0.8, 0.6, 0.0, 0.2),
    Product("900211", "Camera lens", "electronics", 150, 0.7, 0.5, 6.7, 0.1),
    Product("900410", "Sunglasses", "apparel", 10, 0.8, 0.05, 2.9, 0.6),
    Product("900490", "Blue-light glasses", "health", 8, 0.6, 0.05, 2.9, 0.3),
    Product("901890", "Blood pressure monitor", "health", 20, 0.8, 0.3, 0.0, 0.2),
    Product("901910", "Massage gun", "health", 25, 0.7, 0.6, 0.0, 0.5),
    Product("902519", "Digital thermometer", "health", 8, 0.5, 0.05, 0.0, 0.2),
    Product("910211", "Analogue wrist watch", "jewellery", 20, 0.8, 0.1, 4.5, 0.7),
    Product("910212", "Digital sports watch", "jewellery", 12, 0.7, 0.08, 4.5, 0.4),
    Product("910521", "Wall clock", "home", 15, 0.5, 0.6, 4.7, 0.2),
    Product("920290", "Acoustic guitar", "music", 80, 0.6, 2.5, 3.2, 0.1),
    Product("920710", "Electronic keyboard", "music", 90, 0.6, 5.0, 3.2, 0.05),
    Product("920999", "Guitar strings", "music", 6, 0.6, 0.05, 2.7, 0.2),
    # furniture, toys, sports, misc (chapters 94-97)
    Product("940171", "Upholstered office chair", "home", 60, 0.5, 8.0, 0.0, 0.05),
    Product("940360", "Wooden bookshelf", "home", 70, 0.6, 10.0, 0.0, 0.08),
    Product("940421", "Memory foam mattress", "home", 120, 0.5, 15.0, 3.7, 0.03),
    Product("940490", "Cushion and pillow", "home_textiles", 15, 0.6, 0.6, 3.7, 0.4),
    Product("940511", "LED ceiling light", "home", 30, 0.6, 1.2, 4.7, 0.3),
    Product("940521", "LED desk lamp", "home", 20, 0.6, 0.8, 4.7, 0.3),
    Product("940541", "Solar garden lights", "garden", 12, 0.6, 0.5, 4.7, 0.3),
    Product("950300", "Building blocks toy", "toys", 12, 0.7, 0.4, 0.0, 1.2),
    Product("950450", "Video game console", "electronics", 250, 0.4, 3.0, 0.0, 0.1),
    Product("950490", "Board game and playing cards", "toys", 15, 0.6, 0.6, 0.0, 0.4),
    Product("950510", "Christmas decorations", "home", 6, 0.7, 0.2, 2.7, 0.4),
    Product("950590", "Party costume and accessories", "toys", 6, 0.6, 0.2, 2.7, 0.4),
    Product("950662", "Inflatable beach ball", "sports", 10, 0.5, 0.4, 2.7, 0.2),
    Product("950691", "Resistance bands and dumbbells", "sports", 20, 0.8, 1.5, 2.7, 0.6),
    Product("950699", "Badminton and table tennis set", "sports", 15, 0.7, 0.5, 2.7, 0.4),
    Product("950710", "Fishing rod", "sports", 25, 0.6, 0.6, 3.7, 0.2),
    Product("950790", "Fishing lures and tackle", "sports", 6, 0.7, 0.1, 2.7, 0.3),
    Product("960321", "Toothbrush", "beauty", 3, 0.6, 0.03, 3.7, 0.4),
    Product("960329", "Makeup brush set", "beauty", 6, 0.6, 0.1, 3.7, 0.5),
    Product("960719", "Zip fasteners", "tools", 2, 0.5, 0.02, 6.0, 0.1),
    Product("960810", "Ballpoint pens", "office", 3, 0.6, 0.05, 3.7, 0.4),
    Product("961511", "Plastic hair comb and clips", "beauty", 3, 0.6, 0.03, 2.7, 0.3),
    Product("961610", "Perfume atomiser", "beauty", 4, 0.5, 0.05, 2.7, 0.1),
    Product("961700", "Insulated water bottle", "kitchen", 12, 0.6, 0.4, 6.7, 0.6),
    Product("961900", "Baby diapers", "health", 10, 0.5, 1.0, 6.5, 0.2),
    Product("970121", "Hand-painted oil painting", "art", 60, 0.9, 1.0, 0.0, 0.1),
)
# fmt: on

# Misclassification decoys: low-duty subheadings that fraudsters declare instead of the real one.
# A decoy is only used for a product of another chapter with a higher duty rate.
DECOY_HS6: tuple[str, ...] = (
    "490199",  # printed books
    "847130",  # laptops
    "847330",  # computer parts
    "852351",  # memory cards
    "851762",  # wireless communication apparatus
    "940360",  # wooden furniture
    "330499",  # skin care
    "482010",  # notebooks
    "950300",  # toys
    "901890",  # medical instruments
)

# Vague descriptions that some declarants write instead of a proper one (honest or not).
VAGUE_DESCRIPTIONS: tuple[str, ...] = ("Gift", "Accessories", "Sample", "Clothes", "Parts", "Goods")

COLOURS: tuple[str, ...] = (
    "black",
    "white",
    "blue",
    "red",
    "green",
    "pink",
    "grey",
    "beige",
    "navy",
    "silver",
    "gold",
    "purple",
    "multicolour",
)
TITLE_PREFIXES: tuple[str, ...] = (
    "",
    "",
    "",
    "New ",
    "Premium ",
    "2026 ",
    "Hot sale ",
    "Original ",
)

# --- money ----------------------------------------------------------------------------------
# Indicative units of currency per EUR (close to ECB reference rates of 2026). Used to price goods
# and to apply the EUR 150 threshold; the pipeline uses real ECB rates, so parcels within a few
# percent of a threshold may fall on the other side there.
FX_PER_EUR: dict[str, float] = {
    "EUR": 1.0,
    "USD": 1.09,
    "GBP": 0.86,
    "CNY": 7.8,
    "AUD": 1.66,
    "CAD": 1.5,
}

LOW_VALUE_THRESHOLD_EUR = 150.0


class Marketplace(NamedTuple):
    code: str
    currency: str
    order_prefix: str
    ioss_msi: str | None  # member state of identification when the marketplace holds an IOSS
    hs_code_missing: float  # share of order lines without hs_code
    shipping_unknown: float  # share of orders whose shipping fee is not reported
    price_factor: float  # price level relative to the catalogue (fees, positioning)


MARKETPLACES: tuple[Marketplace, ...] = (
    Marketplace("globuy", "USD", "GB", "372", 0.08, 0.06, 1.00),
    Marketplace("eurocart", "EUR", "EC", None, 0.04, 0.04, 1.05),
    Marketplace("britshop", "GBP", "BS", None, 0.12, 0.10, 1.04),
    Marketplace("dragonmart", "CNY", "DM", "528", 0.25, 0.22, 0.88),
    Marketplace("southcross", "AUD", "SX", None, 0.10, 0.08, 1.06),
    Marketplace("maplemarket", "CAD", "MM", None, 0.10, 0.08, 1.03),
)
MARKETPLACE_INDEX = {m.code: i for i, m in enumerate(MARKETPLACES)}

# --- places ---------------------------------------------------------------------------------
EU_MEMBERS: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)


class Destination(NamedTuple):
    country: str
    weight: float  # share of cross-border e-commerce orders (percent, before normalising)
    utc_offset_h: float  # in September (summer time where it applies)
    vat_pct: float  # standard VAT / GST rate on imports (indicative)
    region: str  # which marketplace mix buys there


# Weights follow the rough size of each market's cross-border e-commerce imports.
DESTINATIONS: tuple[Destination, ...] = (
    Destination("DE", 11.0, 2, 19, "EU"),
    Destination("FR", 8.5, 2, 20, "EU"),
    Destination("IT", 6.0, 2, 22, "EU"),
    Destination("ES", 6.0, 2, 21, "EU"),
    Destination("NL", 4.0, 2, 21, "EU"),
    Destination("PL", 4.0, 2, 23, "EU"),
    Destination("SE", 2.2, 2, 25, "EU"),
    Destination("BE", 2.4, 2, 21, "EU"),
    Destination("AT", 2.0, 2, 20, "EU"),
    Destination("IE", 1.6, 1, 23, "EU"),
    Destination("PT", 1.5, 1, 23, "EU"),
    Destination("CZ", 1.3, 2, 21, "EU"),
    Destination("DK", 1.0, 2, 25, "EU"),
    Destination("FI", 0.8, 3, 25.5, "EU"),
    Destination("GR", 0.8, 3, 24, "EU"),
    Destination("HU", 0.8, 2, 27, "EU"),
    Destination("RO", 0.9, 3, 21, "EU"),
    Destination("SK", 0.4, 2, 23, "EU"),
    Destination("BG", 0.4, 3, 20, "EU"),
    Destination("HR", 0.4, 2, 25, "EU"),
    Destination("SI", 0.2, 2, 22, "EU"),
    Destination("LT", 0.3, 3, 21, "EU"),
    Destination("LV", 0.2, 3, 21, "EU"),
    Destination("EE", 0.2, 3, 24, "EU"),
    Destination("LU", 0.2, 2, 17, "EU"),
    Destination("CY", 0.1, 3, 19, "EU"),
    Destination("MT", 0.1, 2, 18, "EU"),
    Destination("US", 17.0, -5, 0, "US"),
    Destination("GB", 10.0, 1, 20, "GB"),
    Destination("AU", 3.5, 10, 10, "AU"),
    Destination("CA", 3.5, -5, 5, "CA"),
    Destination("IN", 3.0, 5.5, 18, "IN"),
)
DEST_INDEX = {d.country: i for i, d in enumerate(DESTINATIONS)}

# Marketplace mix per buyer region: (marketplace code, share).
REGION_MARKETPLACES: dict[str, tuple[tuple[str, float], ...]] = {
    "EU": (("eurocart", 0.42), ("globuy", 0.36), ("dragonmart", 0.22)),
    "GB": (("britshop", 0.55), ("globuy", 0.30), ("dragonmart", 0.15)),
    "US": (("globuy", 0.78), ("dragonmart", 0.22)),
    "AU": (("southcross", 0.55), ("globuy", 0.30), ("dragonmart", 0.15)),
    "CA": (("maplemarket", 0.50), ("globuy", 0.40), ("dragonmart", 0.10)),
    "IN": (("globuy", 0.80), ("dragonmart", 0.20)),
}

# Seller countries: (country, share of sellers, origin mix of the goods they sell).
SELLER_COUNTRIES: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    ("CN", 0.60, (("CN", 0.97), ("VN", 0.03))),
    ("HK", 0.09, (("CN", 0.85), ("HK", 0.15))),
    ("TR", 0.05, (("TR", 0.85), ("CN", 0.15))),
    ("IN", 0.05, (("IN", 0.90), ("CN", 0.10))),
    ("VN", 0.05, (("VN", 0.80), ("CN", 0.20))),
    ("US", 0.05, (("CN", 0.60), ("US", 0.25), ("VN", 0.08), ("MX", 0.07))),
    ("GB", 0.04, (("CN", 0.55), ("GB", 0.25), ("IN", 0.10), ("TR", 0.10))),
    ("KR", 0.03, (("KR", 0.80), ("CN", 0.20))),
    ("DE", 0.01, (("CN", 0.50), ("DE", 0.40), ("TR", 0.10))),
    ("IT", 0.01, (("IT", 0.60), ("CN", 0.40))),
    ("PL", 0.01, (("PL", 0.50), ("CN", 0.50))),
    ("FR", 0.005, (("FR", 0.50), ("CN", 0.50))),
    ("NL", 0.005, (("CN", 0.60), ("NL", 0.40))),
)

# Member states where IOSS intermediaries register sellers (ISO 3166 numeric code, weight).
IOSS_MSI: tuple[tuple[str, float], ...] = (
    ("372", 0.25),  # IE
    ("528", 0.20),  # NL
    ("442", 0.12),  # LU
    ("276", 0.10),  # DE
    ("056", 0.08),  # BE
    ("250", 0.07),  # FR
    ("616", 0.06),  # PL
    ("380", 0.05),  # IT
    ("724", 0.04),  # ES
    ("196", 0.03),  # CY
)


class Warehouse(NamedTuple):
    warehouse_id: str
    country: str
    currency: str  # currency of the import declaration and receipt values


WAREHOUSES: tuple[Warehouse, ...] = tuple(
    Warehouse(f"WH-{c}-{i:02d}", c, cur)
    for c, n, cur in (
        ("DE", 6, "EUR"),
        ("NL", 3, "EUR"),
        ("PL", 3, "EUR"),
        ("FR", 2, "EUR"),
        ("IT", 2, "EUR"),
        ("ES", 2, "EUR"),
        ("CZ", 2, "EUR"),
        ("BE", 1, "EUR"),
        ("GB", 4, "GBP"),
        ("US", 5, "USD"),
    )
    for i in range(1, n + 1)
)

# Declarants (couriers and customs brokers): (id, regions served, market weight).
# "*" serves every jurisdiction; the others serve one region.
DECLARANTS: tuple[tuple[str, str, float], ...] = tuple(
    [(f"DCL{100 + i:04d}", "*", w) for i, w in enumerate((30, 22, 16, 12, 9, 6, 4, 3))]
    + [(f"DCL{200 + i:04d}", "EU", w) for i, w in enumerate((9, 7, 6, 5, 4, 4, 3, 3, 2, 2, 2, 1))]
    + [(f"DCL{300 + i:04d}", "GB", w) for i, w in enumerate((5, 3, 2))]
    + [(f"DCL{400 + i:04d}", "US", w) for i, w in enumerate((6, 4, 2))]
    + [(f"DCL{500 + i:04d}", "AU", w) for i, w in enumerate((3, 2))]
    + [(f"DCL{600 + i:04d}", "CA", w) for i, w in enumerate((3,))]
    + [(f"DCL{700 + i:04d}", "IN", w) for i, w in enumerate((3,))]
)
