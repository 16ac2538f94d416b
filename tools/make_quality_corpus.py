"""Writes the labelled corpus of `npm run bench:quality` and of the real-model quality test: job postings and
resumes across the nbk model card's 13 professional domains, as text, PDF and DOCX, with the hard cases a
screening meets (hybrid roles such as health-tech, career changers, near-duplicate resumes, very long resumes).
All fictional, written for this repository. Deterministic; standard library only.

    python3 tools/make_quality_corpus.py --out .shortlist/quality-corpus

Writes `postings/`, `resumes/` and `labels.json`: for every file its kind, its domain (the card's key), the
domains it also belongs to (hybrids, career changers: the role they come from) and its case.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_document_fixtures import docx, document_xml, text_page_pdf  # noqa: E402

FIRST = ["Amara", "Bilal", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kaia", "Luis",
         "Mei", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara", "Zane"]
LAST = ["Okafor", "Haddad", "Lindqvist", "Moreau", "Tanaka", "Novak", "Ferreira", "Kowalski", "Brennan", "Osei",
        "Varga", "Idris", "Castillo", "Nakamura", "Rahman", "Schmidt", "Adeyemi", "Larsen", "Petrova", "Quispe"]
CITIES = ["Leeds", "Lyon", "Porto", "Gdansk", "Austin", "Toronto", "Melbourne", "Dublin", "Utrecht", "Denver"]

# Per domain: job titles, skills, achievements (resume bullets), posting duties, and employers. Written apart
# from the domain descriptions the classifier uses (libs/scoring/src/domains.ts), so the benchmark does not grade
# the descriptions against their own words.
DOMAINS: dict[str, dict[str, list[str]]] = {
    "technology": {
        "titles": ["Backend Engineer", "Site Reliability Engineer", "Full-Stack Developer", "Platform Engineer"],
        "skills": ["TypeScript", "Go", "PostgreSQL", "Kubernetes", "Terraform", "REST and gRPC APIs", "CI/CD pipelines",
                   "observability with Prometheus", "distributed systems", "React", "AWS", "incident response"],
        "work": ["built a payments API serving 4,000 requests per second with p99 latency under 80 ms",
                 "split a monolith into six services behind a message queue without downtime",
                 "cut cloud spend by a third by right-sizing Kubernetes workloads",
                 "introduced contract tests that halved production incidents",
                 "led the on-call rotation and wrote the runbooks for twelve services",
                 "migrated the build system to incremental builds, from 40 minutes to 9",
                 "designed the event schema for an order pipeline handling 2 million events a day",
                 "shipped a React front end for the customer self-service portal"],
        "duties": ["design, build and operate backend services in Go and TypeScript",
                   "own services in production: monitoring, on-call and post-incident reviews",
                   "review code and mentor engineers on testing and API design",
                   "automate infrastructure with Terraform on AWS"],
        "employers": ["a SaaS scale-up", "a cloud hosting provider", "an online marketplace", "a developer-tools company"],
    },
    "healthcare": {
        "titles": ["Registered Nurse", "ICU Nurse", "Physician Assistant", "Clinical Nurse Specialist"],
        "skills": ["patient assessment", "medication administration", "IV therapy", "wound care", "triage",
                   "BLS and ACLS", "care planning", "infection control", "ventilator management",
                   "discharge planning", "patient and family education", "electronic health records"],
        "work": ["cared for up to five critically ill patients per shift in a 24-bed intensive care unit",
                 "led a falls-prevention project that reduced inpatient falls by 30 percent",
                 "precepted new graduate nurses through their first three months on the ward",
                 "coordinated discharge plans with physicians, pharmacists and social workers",
                 "administered chemotherapy and monitored patients for adverse reactions",
                 "ran the sepsis screening protocol for the emergency department",
                 "examined, diagnosed and treated patients in a busy primary care clinic",
                 "served as charge nurse for a 32-bed medical-surgical floor"],
        "duties": ["assess, plan and deliver nursing care to acutely ill adult patients",
                   "administer medications and IV therapies safely and document care in the EHR",
                   "work with physicians and therapists on care plans and discharges",
                   "hold a current nursing licence and ACLS certification"],
        "employers": ["a university teaching hospital", "a regional medical centre", "a community health clinic",
                      "a children's hospital"],
    },
    "finance": {
        "titles": ["Financial Analyst", "Senior Accountant", "Financial Controller", "Investment Analyst"],
        "skills": ["month-end close", "general ledger", "IFRS", "US GAAP", "reconciliations", "financial modelling",
                   "budgeting and forecasting", "variance analysis", "SAP", "internal controls", "valuation",
                   "treasury and cash management"],
        "work": ["shortened the month-end close from ten working days to five",
                 "prepared consolidated statements for eight subsidiaries under IFRS",
                 "led the external audit with no material findings two years running",
                 "built the rolling forecast and cash-flow model used by the executive team",
                 "automated bank reconciliations, saving forty hours a month",
                 "valued acquisition targets with discounted cash-flow and comparables models",
                 "managed a 300 million treasury portfolio and the group's FX hedging",
                 "designed segregation-of-duties controls for a new ERP rollout"],
        "duties": ["own the monthly close, reconciliations and management accounts",
                   "build budgets, forecasts and variance analyses for business leaders",
                   "prepare statutory accounts and support the external audit",
                   "hold a professional accounting qualification (ACCA, CPA or CIMA)"],
        "employers": ["a listed retail group", "a private equity firm", "a regional bank", "an insurance company"],
    },
    "education": {
        "titles": ["Secondary Science Teacher", "Primary School Teacher", "Curriculum Coordinator",
                   "Special Education Teacher"],
        "skills": ["lesson planning", "classroom management", "differentiated instruction", "formative assessment",
                   "curriculum design", "special educational needs", "parent communication", "exam preparation",
                   "mentoring trainee teachers", "pastoral care", "safeguarding", "learning management systems"],
        "work": ["taught physics and chemistry to five classes of 30 students aged 11 to 18",
                 "raised the share of top exam grades in physics from 22 to 35 percent",
                 "designed a project-based science curriculum for two year groups",
                 "mentored six trainee teachers through their school placements",
                 "wrote individual education plans for students with dyslexia and autism",
                 "led the school's move to formative assessment and feedback in every lesson",
                 "ran parent evenings and the after-school robotics club",
                 "coordinated the literacy programme for the whole primary school"],
        "duties": ["plan and teach engaging lessons to mixed-ability classes",
                   "assess students' progress and give feedback to pupils and parents",
                   "adapt teaching for students with special educational needs",
                   "hold qualified teacher status and a safeguarding certificate"],
        "employers": ["a public secondary school", "an international school", "a primary academy",
                      "a school district"],
    },
    "legal": {
        "titles": ["Corporate Lawyer", "Paralegal", "Legal Counsel", "Litigation Associate"],
        "skills": ["contract drafting", "negotiation", "legal research", "due diligence", "litigation support",
                   "regulatory compliance", "data protection law", "employment law", "intellectual property",
                   "corporate governance", "case management", "court filings"],
        "work": ["drafted and negotiated commercial contracts and licences for a software company",
                 "ran legal due diligence on four acquisitions worth 120 million in total",
                 "managed outside counsel on three employment tribunal claims",
                 "built the contract template library that halved legal review time",
                 "prepared witness statements, disclosure bundles and court filings",
                 "advised the board on corporate governance and shareholder agreements",
                 "led the data protection compliance programme for 2,000 employees",
                 "researched case law and drafted memoranda for partners"],
        "duties": ["draft, review and negotiate commercial agreements",
                   "advise the business on regulatory, employment and data protection law",
                   "manage disputes and instruct external counsel",
                   "be admitted to practise as a solicitor or attorney"],
        "employers": ["an international law firm", "a listed manufacturer's legal team", "a litigation boutique",
                      "a technology company's in-house legal team"],
    },
    "sales_marketing": {
        "titles": ["Account Executive", "Digital Marketing Manager", "Business Development Representative",
                   "Growth Marketer"],
        "skills": ["pipeline management", "Salesforce", "negotiation", "solution selling", "prospecting",
                   "SEO and SEM", "paid social campaigns", "marketing automation", "brand positioning",
                   "quota attainment", "lead generation", "conversion rate optimisation"],
        "work": ["closed 1.8 million in new annual recurring revenue, 140 percent of quota",
                 "opened the Nordic territory and signed the first twelve enterprise customers",
                 "ran paid search and social campaigns with a 2 million annual budget at a 4x return",
                 "grew organic traffic by 180 percent through SEO and content",
                 "built the outbound prospecting playbook used by a team of ten reps",
                 "launched a product in three markets with positioning, pricing and launch campaigns",
                 "kept renewal rates above 95 percent across a book of 60 accounts",
                 "set up lead scoring in HubSpot that lifted sales-qualified leads by 35 percent"],
        "duties": ["prospect, qualify and close new business with mid-market customers",
                   "run demand-generation campaigns across search, social and email",
                   "manage a pipeline in Salesforce and forecast accurately",
                   "work with marketing on positioning, pricing and launches"],
        "employers": ["a B2B software vendor", "a consumer brand", "a media-buying agency", "a telecoms provider"],
    },
    "human_resources": {
        "titles": ["HR Business Partner", "Talent Acquisition Specialist", "People Operations Manager",
                   "Compensation and Benefits Analyst"],
        "skills": ["recruitment", "employee relations", "onboarding", "performance management", "HRIS (Workday)",
                   "compensation and benefits", "employment law compliance", "workforce planning",
                   "learning and development", "employee engagement surveys", "payroll coordination",
                   "diversity and inclusion programmes"],
        "work": ["hired 120 people in a year across engineering, sales and operations",
                 "cut time-to-hire from 52 to 31 days with structured interviews",
                 "handled grievances, disciplinaries and investigations for 800 employees",
                 "designed the performance review cycle and calibration process",
                 "ran the annual salary review and benchmarked pay against the market",
                 "rolled out Workday HRIS to 1,500 employees in four countries",
                 "built the onboarding programme that raised first-year retention by 15 percent",
                 "led the employee engagement survey and the action plans that followed"],
        "duties": ["partner with managers on organisation design, performance and employee relations",
                   "run recruitment from job description to offer",
                   "own HR policies, HRIS data and compliance with employment law",
                   "coordinate payroll, benefits and the annual pay review"],
        "employers": ["a logistics company", "a hospital trust", "a fast-growing startup", "a global consultancy"],
    },
    "manufacturing_operations": {
        "titles": ["Production Manager", "Supply Chain Planner", "Operations Manager", "Quality Engineer"],
        "skills": ["lean manufacturing", "Six Sigma", "production planning", "inventory control", "ERP (SAP MM/PP)",
                   "root cause analysis", "ISO 9001", "health and safety", "procurement", "warehouse operations",
                   "demand planning", "continuous improvement"],
        "work": ["ran a three-shift assembly plant of 220 operators producing 1,200 units a day",
                 "raised overall equipment effectiveness from 61 to 78 percent with lean methods",
                 "cut scrap by 40 percent through Six Sigma root cause analysis",
                 "planned production and materials for 900 SKUs in SAP",
                 "reduced inventory by 25 percent while keeping on-time delivery above 97 percent",
                 "led the ISO 9001 recertification audit with zero major findings",
                 "negotiated supply contracts with 40 component suppliers",
                 "redesigned the warehouse layout and cut picking time by a fifth"],
        "duties": ["plan production and materials to meet demand at the lowest cost",
                   "lead continuous improvement with lean and Six Sigma tools",
                   "keep quality, safety and delivery KPIs on target",
                   "manage suppliers, inventory and the site's ERP data"],
        "employers": ["an automotive parts maker", "a food processing plant", "a consumer electronics factory",
                      "a third-party logistics provider"],
    },
    "design": {
        "titles": ["Product Designer", "UX Researcher", "Graphic Designer", "Brand Designer"],
        "skills": ["Figma", "user research", "wireframing", "prototyping", "design systems", "usability testing",
                   "visual design", "typography", "Adobe Creative Suite", "interaction design", "accessibility",
                   "illustration"],
        "work": ["redesigned the onboarding flow, lifting activation by 22 percent",
                 "built a design system of 80 components used by six product teams",
                 "ran 40 user interviews and usability tests to shape a new product",
                 "created the visual identity, logo and brand guidelines for a rebrand",
                 "designed packaging for a range of 30 products",
                 "prototyped and tested a mobile app in Figma before a line of code was written",
                 "made the web app meet WCAG 2.1 AA accessibility",
                 "illustrated campaigns and editorial pieces for print and web"],
        "duties": ["design user journeys, wireframes and high-fidelity prototypes in Figma",
                   "run user research and usability tests and turn findings into designs",
                   "contribute to our design system and visual language",
                   "show a portfolio of shipped product or brand work"],
        "employers": ["a design studio", "a fintech app", "a branding agency", "an e-commerce company"],
    },
    "retail_hospitality": {
        "titles": ["Store Manager", "Hotel Front Office Manager", "Restaurant General Manager", "Head Chef"],
        "skills": ["customer service", "visual merchandising", "stock management", "point of sale systems",
                   "staff scheduling", "food safety", "guest relations", "revenue management", "menu planning",
                   "upselling", "cash handling", "team leadership"],
        "work": ["managed a flagship store of 35 staff with 6 million in annual sales",
                 "raised like-for-like sales by 12 percent through merchandising and staff coaching",
                 "ran the front desk of a 240-room hotel with guest satisfaction scores of 4.7 out of 5",
                 "led a 120-cover restaurant kitchen and cut food cost to 28 percent",
                 "designed seasonal menus and trained a brigade of twelve cooks",
                 "cut stock shrinkage by half with cycle counts and loss prevention",
                 "scheduled shifts for 50 part-time staff across seven days a week",
                 "handled guest complaints and VIP arrivals with the concierge team"],
        "duties": ["run daily store or restaurant operations and lead the team on the floor",
                   "deliver excellent service to customers and guests",
                   "manage stock, rotas, cash and sales targets",
                   "keep food safety and health standards"],
        "employers": ["a fashion retailer", "a boutique hotel group", "a restaurant chain", "a supermarket"],
    },
    "construction_real_estate": {
        "titles": ["Site Manager", "Quantity Surveyor", "Project Manager (Construction)", "Property Manager"],
        "skills": ["site supervision", "construction health and safety", "cost estimation", "tendering",
                   "building regulations", "project scheduling (Primavera)", "subcontractor management",
                   "property management", "lease administration", "AutoCAD", "valuation", "planning permission"],
        "work": ["ran a 45 million residential build of 180 flats, delivered on time",
                 "supervised up to 90 subcontractors on site with zero reportable accidents",
                 "priced tenders and managed the budget for a new school building",
                 "managed a portfolio of 60 commercial properties and their leases",
                 "negotiated rent reviews and lease renewals worth 4 million a year",
                 "coordinated architects, structural engineers and building control",
                 "valued residential and commercial property for mortgage lenders",
                 "produced the programme in Primavera and kept the critical path on track"],
        "duties": ["manage construction projects from groundworks to handover",
                   "control costs, tenders and subcontractor packages",
                   "keep the site safe and compliant with building regulations",
                   "coordinate designers, engineers, clients and inspectors"],
        "employers": ["a housebuilder", "a main contractor", "a commercial property firm", "a real estate agency"],
    },
    "government_nonprofit": {
        "titles": ["Policy Advisor", "Grants Manager", "Program Officer", "Community Outreach Coordinator"],
        "skills": ["policy analysis", "grant writing", "stakeholder engagement", "public consultation",
                   "programme evaluation", "fundraising", "volunteer management", "budget oversight",
                   "legislative drafting", "impact reporting", "community development", "public procurement"],
        "work": ["wrote grant applications that raised 3 million for a homelessness charity",
                 "advised a minister's office on housing and planning policy",
                 "ran a public consultation that gathered 6,000 responses",
                 "managed a programme of 40 community grants and their impact reports",
                 "recruited and coordinated 200 volunteers for a food bank network",
                 "evaluated a youth employment programme for the city council",
                 "drafted guidance and briefings for parliamentary committees",
                 "built partnerships with local authorities, charities and funders"],
        "duties": ["develop and evaluate public policy and programmes",
                   "write grant applications and reports for funders",
                   "engage communities, partners and elected officials",
                   "manage programme budgets with public accountability"],
        "employers": ["a city council", "a national charity", "a government ministry", "an international NGO"],
    },
    "media_entertainment": {
        "titles": ["Video Producer", "Journalist", "Content Editor", "Film Editor"],
        "skills": ["video production", "editing (Premiere Pro, Avid)", "storytelling", "scriptwriting",
                   "news reporting", "copy editing", "broadcasting", "podcast production", "social media content",
                   "camera operation", "post-production", "audience development"],
        "work": ["produced a weekly documentary series watched by 1.2 million viewers",
                 "reported on local politics and courts for a regional daily newspaper",
                 "edited features and news for a magazine with a print run of 80,000",
                 "cut a feature film and two short films shown at international festivals",
                 "launched a podcast that reached 50,000 listeners per episode",
                 "wrote and directed branded video content for streaming platforms",
                 "ran the live broadcast gallery for election night coverage",
                 "grew a YouTube channel to 400,000 subscribers"],
        "duties": ["develop, shoot and edit video and audio stories",
                   "write and edit copy to deadline for digital and broadcast",
                   "work with presenters, crews and producers on live and recorded shows",
                   "show a reel or portfolio of published work"],
        "employers": ["a national broadcaster", "a streaming studio", "a regional newspaper", "a podcast network"],
    },
}

# Hybrid roles: a resume of the first domain that draws heavily on the second (labelled with both).
HYBRIDS = [
    ("technology", "healthcare", "Clinical Software Engineer",
     ["built HL7 and FHIR interfaces between the hospital's EHR and laboratory systems",
      "worked with nurses and physicians on a medication-administration app at the bedside",
      "made patient-record services meet clinical safety and privacy regulations"]),
    ("healthcare", "technology", "Nurse Informaticist",
     ["configured the electronic health record's order sets and nursing documentation",
      "trained 400 nurses on the new clinical system and gathered their feedback for developers",
      "analysed medication-error data with SQL dashboards"]),
    ("finance", "technology", "Fintech Data Analyst",
     ["built Python models of credit risk and loan losses for a digital lender",
      "automated regulatory finance reports with SQL and Airflow",
      "worked with engineers on the payments ledger and reconciliation service"]),
    ("legal", "finance", "Compliance Counsel (Banking)",
     ["advised a bank on anti-money-laundering and capital regulations",
      "reviewed derivatives and loan documentation",
      "reported to the audit committee on regulatory risk"]),
    ("design", "technology", "UX Engineer",
     ["built the React component library that implements the design system",
      "prototyped interactions in code and ran usability tests on them",
      "worked between designers and front-end engineers on accessibility"]),
    ("media_entertainment", "sales_marketing", "Content Marketing Producer",
     ["produced video and podcast content for brand campaigns",
      "measured campaign reach and conversions with marketing analytics",
      "wrote scripts for product launches and social media ads"]),
    ("education", "technology", "Learning Technologist",
     ["ran the school's learning management system and online courses",
      "built interactive lessons with educational software",
      "trained teachers to use digital tools in the classroom"]),
    ("sales_marketing", "retail_hospitality", "Retail Marketing Manager",
     ["planned in-store promotions and loyalty campaigns for 80 shops",
      "worked with store managers on visual merchandising for launches",
      "analysed footfall and basket data to target offers"]),
    ("human_resources", "legal", "Employee Relations Specialist",
     ["handled employment tribunal preparation with the legal team",
      "wrote HR policies in line with employment law changes",
      "advised managers on dismissals, redundancy and discrimination risk"]),
    ("manufacturing_operations", "construction_real_estate", "Construction Logistics Manager",
     ["planned deliveries of materials to three large building sites",
      "ran the precast concrete yard and its production schedule",
      "managed procurement of steel and timber for contractors"]),
    ("construction_real_estate", "finance", "Real Estate Investment Analyst",
     ["modelled returns on commercial property acquisitions",
      "prepared valuation reports for the investment committee",
      "monitored rent rolls, yields and lease expiries"]),
    ("government_nonprofit", "healthcare", "Public Health Program Manager",
     ["ran a vaccination outreach programme in underserved neighbourhoods",
      "worked with clinics and hospitals on community health data",
      "wrote health policy briefings for the regional government"]),
    ("retail_hospitality", "manufacturing_operations", "Food and Beverage Operations Manager",
     ["managed a central production kitchen supplying twelve restaurants",
      "ran purchasing and stock control for food and drink suppliers",
      "introduced lean methods to cut kitchen waste"]),
]

# Career changers: applying to the first domain, with a past in the second.
CHANGERS = [
    ("technology", "education", "Junior Software Developer"),
    ("healthcare", "retail_hospitality", "Healthcare Assistant"),
    ("finance", "education", "Junior Financial Analyst"),
    ("education", "finance", "Trainee Mathematics Teacher"),
    ("legal", "government_nonprofit", "Trainee Solicitor"),
    ("sales_marketing", "retail_hospitality", "Sales Development Representative"),
    ("human_resources", "education", "Recruitment Coordinator"),
    ("manufacturing_operations", "retail_hospitality", "Operations Supervisor"),
    ("design", "media_entertainment", "Junior UX Designer"),
    ("retail_hospitality", "government_nonprofit", "Hotel Assistant Manager"),
    ("construction_real_estate", "manufacturing_operations", "Assistant Site Manager"),
    ("government_nonprofit", "sales_marketing", "Fundraising Officer"),
    ("media_entertainment", "legal", "Legal Affairs Reporter"),
]

TRAINING = {
    "technology": "completed a 16-week full-stack coding bootcamp (JavaScript, Node.js, React, SQL) and shipped three projects",
    "healthcare": "completed the care certificate and clinical placements on a surgical ward",
    "finance": "passed the first two levels of the CFA programme and built valuation models in Excel",
    "education": "completed a postgraduate teaching certificate with placements in two secondary schools",
    "legal": "completed the law conversion course and the solicitors qualifying exams",
    "sales_marketing": "completed a sales development programme: prospecting, discovery calls and CRM hygiene",
    "human_resources": "completed a CIPD certificate in people practice",
    "manufacturing_operations": "completed a lean Six Sigma green belt and a supply chain certificate",
    "design": "completed a UX design course with a portfolio of three case studies in Figma",
    "retail_hospitality": "completed a hospitality management diploma and front-of-house training",
    "construction_real_estate": "completed site management safety training and a construction management certificate",
    "government_nonprofit": "completed a certificate in fundraising and nonprofit management",
    "media_entertainment": "completed a multimedia journalism course and wrote for a local news site",
}


def person(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    contact = f"{rng.choice(CITIES)} | {name.split()[0].lower()}.{name.split()[1].lower()}@example.com | +44 7700 {rng.randint(100000, 999999)}"
    return name, contact


def cap(text: str) -> str:
    return text[0].upper() + text[1:]


def position(rng: random.Random, domain: str, bullets: int, start: int) -> list[str]:
    d = DOMAINS[domain]
    years = rng.randint(2, 5)
    lines = [f"{rng.choice(d['titles'])}, {rng.choice(d['employers'])} ({start - years}-{start})"]
    lines += [f"- {cap(w)}." for w in rng.sample(d["work"], bullets)]
    return lines


def resume(rng: random.Random, domain: str) -> list[str]:
    d = DOMAINS[domain]
    name, contact = person(rng)
    title = rng.choice(d["titles"])
    skills = rng.sample(d["skills"], 8)
    lines = [name, contact, title, "",
             f"Summary: {title.lower()} with {rng.randint(3, 15)} years of experience, strong in {skills[0]}, "
             f"{skills[1]} and {skills[2]}.", "", "Experience"]
    lines += position(rng, domain, 3, 2026)
    lines += position(rng, domain, 2, 2021)
    lines += ["", f"Skills: {', '.join(skills)}.", "",
              f"Languages: English, {rng.choice(['Spanish', 'German', 'French', 'Arabic', 'Japanese', 'Polish'])}."]
    return lines


def hybrid(rng: random.Random, primary: str, secondary: str, title: str, bridge: list[str]) -> list[str]:
    name, contact = person(rng)
    skills = rng.sample(DOMAINS[primary]["skills"], 5) + rng.sample(DOMAINS[secondary]["skills"], 3)
    lines = [name, contact, title, "",
             f"Summary: {title.lower()} working where {primary.replace('_', ' ')} meets {secondary.replace('_', ' ')}.",
             "", "Experience", f"{title}, {rng.choice(DOMAINS[primary]['employers'])} (2022-2026)"]
    lines += [f"- {cap(b)}." for b in bridge]
    lines += [f"- {cap(w)}." for w in rng.sample(DOMAINS[primary]["work"], 2)]
    lines += position(rng, primary, 2, 2022)
    lines += ["", f"Skills: {', '.join(skills)}."]
    return lines


def career_changer(rng: random.Random, target: str, past: str, title: str) -> list[str]:
    name, contact = person(rng)
    lines = [name, contact, f"Aspiring {title}", "",
             f"Summary: moving into {target.replace('_', ' ')} after {rng.randint(5, 12)} years in "
             f"{past.replace('_', ' ')}; {TRAINING[target]}.", "",
             "Training", f"- {cap(TRAINING[target])}.",
             f"- Practised {', '.join(rng.sample(DOMAINS[target]['skills'], 4))}.", "", "Earlier career"]
    lines += position(rng, past, 4, 2025)
    lines += position(rng, past, 2, 2019)
    lines += ["", f"Skills: {', '.join(rng.sample(DOMAINS[target]['skills'], 5) + rng.sample(DOMAINS[past]['skills'], 3))}."]
    return lines


def long_resume(rng: random.Random, domain: str) -> list[str]:
    """A senior career told at length: about 3,000-4,000 tokens, several context windows of a small model."""
    d = DOMAINS[domain]
    name, contact = person(rng)
    lines = [name, contact, f"Senior {rng.choice(d['titles'])}", "",
             f"Summary: {len(d['work']) * 3} years across {', '.join(d['employers'])}."]
    year = 2026
    for _ in range(12):
        lines += [""] + position(rng, domain, 6, year)
        lines.append(f"- Day to day: {', '.join(rng.sample(d['skills'], 6))}; reported to senior leadership "
                     f"and presented results to clients and colleagues every quarter.")
        lines.append(f"- Trained and coached colleagues in {rng.choice(d['skills'])} and {rng.choice(d['skills'])}, "
                     "wrote the team's handbook and improved the way work was planned and reviewed.")
        year -= 3
    lines += ["", f"Skills: {', '.join(d['skills'])}."]
    return lines


def near_duplicate(rng: random.Random, lines: list[str]) -> list[str]:
    """The same resume sent again: another name and contact line, one bullet reworded, one dropped."""
    name, contact = person(rng)
    copy = [name, contact] + lines[2:]
    bullets = [i for i, line in enumerate(copy) if line.startswith("- ")]
    copy[bullets[0]] = copy[bullets[0]].rstrip(".") + ", ahead of plan."
    del copy[bullets[-1]]
    return copy


def posting(rng: random.Random, domain: str, title: str) -> list[str]:
    d = DOMAINS[domain]
    employer = rng.choice(d["employers"])
    skills = rng.sample(d["skills"], 6)
    return [f"{title}", f"{cap(employer)} in {rng.choice(CITIES)} is hiring a {title.lower()}.", "",
            "What you will do:"] + [f"- {cap(x)}." for x in d["duties"]] + [
            "", "What you bring:",
            f"- {rng.randint(2, 6)}+ years as a {title.lower()} or similar.",
            f"- Experience with {', '.join(skills[:4])}.",
            f"- Nice to have: {skills[4]} and {skills[5]}.", "",
            "We offer a competitive salary, a pension and flexible working."]


def write(path: Path, lines: list[str], fmt: str) -> str:
    if fmt == "pdf":
        ascii_lines = [line.encode("latin-1", "replace").decode("latin-1") for line in lines]
        path.with_suffix(".pdf").write_bytes(text_page_pdf(ascii_lines))
    elif fmt == "docx":
        path.with_suffix(".docx").write_bytes(docx(document_xml([escape(line) for line in lines])))
    else:
        path.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    return path.with_suffix(f".{fmt}").name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    (out / "postings").mkdir(parents=True)
    (out / "resumes").mkdir(parents=True)
    rng = random.Random(1315)
    labels: list[dict[str, object]] = []
    formats = ["txt", "pdf", "docx"]
    n = 0

    def add(kind: str, lines: list[str], domain: str, case: str, also: list[str] | None = None, fmt: str | None = None) -> None:
        nonlocal n
        n += 1
        folder = out / ("postings" if kind == "posting" else "resumes")
        stem = f"{domain}-{case}-{n:03d}".replace("_", "-")
        file = write(folder / stem, lines, fmt or formats[n % 3])
        labels.append({"file": f"{folder.name}/{file}", "kind": kind, "domain": domain, "also": also or [], "case": case})

    for domain, d in DOMAINS.items():
        for title in rng.sample(d["titles"], 2):
            add("posting", posting(rng, domain, title), domain, "posting")
        regular = [resume(rng, domain) for _ in range(6)]
        for lines in regular:
            add("resume", lines, domain, "regular")
        add("resume", near_duplicate(rng, regular[0]), domain, "near_duplicate")
        add("resume", long_resume(rng, domain), domain, "long", fmt="txt" if n % 2 else "docx")
    for primary, secondary, title, bridge in HYBRIDS:
        add("resume", hybrid(rng, primary, secondary, title, bridge), primary, "hybrid", [secondary])
    for target, past, title in CHANGERS:
        add("resume", career_changer(rng, target, past, title), target, "career_changer", [past])
    (out / "labels.json").write_text(json.dumps({"domains": list(DOMAINS), "documents": labels}, indent=1) + "\n")
    print(f"{out}: {sum(1 for x in labels if x['kind'] == 'posting')} postings, "
          f"{sum(1 for x in labels if x['kind'] == 'resume')} resumes")


if __name__ == "__main__":
    main()
