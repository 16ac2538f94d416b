"""Writes the sample corpus of `npm run demo` under demo/: three job descriptions and 48 resumes across eight
professional domains (text, with some as PDF and DOCX), all fictional and written for this repository.
Deterministic; standard library only (the PDF and DOCX writers of make_document_fixtures.py).

    python3 tools/make_demo_corpus.py
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_document_fixtures import docx, document_xml, text_page_pdf  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent / "demo"

FIRST = ["Amara", "Bilal", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kaia", "Luis",
         "Mei", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara"]
LAST = ["Okafor", "Haddad", "Lindqvist", "Moreau", "Tanaka", "Novak", "Ferreira", "Kowalski", "Brennan", "Osei",
        "Varga", "Idris", "Castillo", "Nakamura", "Rahman", "Schmidt"]

DOMAINS = {
    "software": {
        "titles": ["Backend Engineer", "Senior Software Engineer", "Platform Engineer", "Full-Stack Developer"],
        "skills": ["TypeScript", "Node.js", "Go", "PostgreSQL", "Redis", "Kubernetes", "gRPC", "REST API design",
                   "CI/CD", "observability", "distributed systems", "code review"],
        "work": ["built a payments API serving 4,000 requests per second with p99 under 80 ms",
                 "split a monolith into six services behind a message queue",
                 "cut cloud costs by a third by right-sizing Kubernetes workloads",
                 "introduced contract tests that halved production incidents",
                 "mentored four junior engineers through their first on-call rotations",
                 "designed the event schema for an order pipeline processing 2 million events a day"],
    },
    "data": {
        "titles": ["Data Engineer", "Analytics Engineer", "Senior Data Engineer", "Machine Learning Engineer"],
        "skills": ["Python", "SQL", "Spark", "Kafka", "Airflow", "dbt", "Snowflake", "data modelling",
                   "feature stores", "PyTorch", "A/B testing", "data quality"],
        "work": ["built streaming ingestion with Kafka and Spark for 40 TB of clickstream data",
                 "modelled the finance warehouse in dbt with tested, documented marts",
                 "shipped a churn model that lifted retention campaigns by 12 percent",
                 "replaced nightly batch jobs with incremental pipelines, from six hours to forty minutes",
                 "set up data contracts between product teams and the analytics platform",
                 "ran the experimentation platform used for 300 A/B tests a year"],
    },
    "nursing": {
        "titles": ["Registered Nurse", "ICU Nurse", "Charge Nurse", "Pediatric Nurse"],
        "skills": ["patient assessment", "medication administration", "IV therapy", "wound care", "triage",
                   "electronic health records", "BLS and ACLS", "care planning", "infection control",
                   "family education", "ventilator management", "discharge planning"],
        "work": ["cared for up to five critical patients per shift in a 24-bed intensive care unit",
                 "led a falls-prevention project that reduced inpatient falls by 30 percent",
                 "precepted new graduate nurses through their first three months",
                 "coordinated discharge plans with physicians, pharmacists and social workers",
                 "administered chemotherapy and monitored adverse reactions",
                 "served as charge nurse for a 32-bed medical-surgical floor"],
    },
    "accounting": {
        "titles": ["Staff Accountant", "Senior Accountant", "Financial Controller", "Audit Associate"],
        "skills": ["month-end close", "general ledger", "IFRS", "US GAAP", "reconciliations", "accounts payable",
                   "SAP", "Excel modelling", "internal controls", "tax filings", "audit preparation", "forecasting"],
        "work": ["shortened the month-end close from ten days to five",
                 "prepared consolidated statements for eight subsidiaries under IFRS",
                 "led the external audit with no material findings two years running",
                 "automated bank reconciliations, saving forty hours a month",
                 "built the rolling forecast used by the executive team",
                 "designed segregation-of-duties controls for a new ERP rollout"],
    },
    "sales": {
        "titles": ["Account Executive", "Enterprise Sales Manager", "Business Development Representative",
                   "Key Account Manager"],
        "skills": ["pipeline management", "Salesforce", "negotiation", "solution selling", "prospecting",
                   "territory planning", "contract renewals", "forecast accuracy", "demos", "MEDDIC",
                   "partner channels", "customer success handover"],
        "work": ["closed 1.8 million in new annual recurring revenue, 140 percent of quota",
                 "opened the Nordic territory and signed the first twelve enterprise logos",
                 "ran discovery and demos for a sales cycle of six to nine months",
                 "grew a key account from 200 thousand to 1.1 million per year",
                 "built the outbound playbook used by a team of ten representatives",
                 "kept renewal rates above 95 percent across a book of 60 accounts"],
    },
    "teaching": {
        "titles": ["Secondary School Teacher", "Mathematics Teacher", "Primary Teacher", "Head of Science"],
        "skills": ["lesson planning", "differentiated instruction", "classroom management", "assessment design",
                   "curriculum development", "special educational needs", "parent communication", "STEM clubs",
                   "mentoring trainee teachers", "exam preparation", "educational technology", "pastoral care"],
        "work": ["taught mathematics to classes of 30 students aged 11 to 18",
                 "raised the share of top exam grades in physics from 22 to 35 percent",
                 "designed a project-based science curriculum for two year groups",
                 "ran the robotics club that reached the national finals",
                 "mentored six trainee teachers through their placements",
                 "led the department's move to formative assessment"],
    },
    "logistics": {
        "titles": ["Logistics Coordinator", "Warehouse Operations Manager", "Supply Chain Planner",
                   "Transport Manager"],
        "skills": ["inventory control", "WMS", "route planning", "S&OP", "demand forecasting", "freight contracts",
                   "lean warehousing", "customs documentation", "KPI reporting", "vendor management",
                   "health and safety", "cross-docking"],
        "work": ["ran a 20,000 square-metre warehouse with 80 staff across three shifts",
                 "cut picking errors by 60 percent with barcode scanning and slotting changes",
                 "planned routes for a fleet of 45 trucks, reducing empty miles by 18 percent",
                 "negotiated freight contracts that saved 400 thousand a year",
                 "introduced weekly S&OP meetings between sales and operations",
                 "cleared imports through customs for three countries"],
    },
    "legal": {
        "titles": ["Corporate Lawyer", "Legal Counsel", "Paralegal", "Compliance Officer"],
        "skills": ["contract drafting", "mergers and acquisitions", "due diligence", "GDPR", "employment law",
                   "litigation support", "regulatory compliance", "negotiation", "legal research",
                   "corporate governance", "intellectual property", "risk assessment"],
        "work": ["advised on eleven acquisitions with a combined value of 300 million",
                 "drafted and negotiated commercial contracts for a SaaS company",
                 "ran the GDPR programme for a company of 2,000 employees",
                 "managed outside counsel on three employment tribunal cases",
                 "built the contract template library that halved legal review time",
                 "trained managers on anti-bribery and competition law"],
    },
}

POSTINGS = {
    "data-engineer": (
        "data",
        "Senior Data Engineer\n\nWe are looking for a senior data engineer to build and run our streaming and batch "
        "data platform. You will design pipelines with Kafka, Spark and Airflow, model data in dbt and Snowflake, "
        "and make data quality visible to analysts and product teams.\n\nRequirements: five or more years of data "
        "engineering; strong Python and SQL; experience with event streaming; data modelling; testing and "
        "documenting pipelines. Nice to have: feature stores, machine learning in production.",
    ),
    "icu-nurse": (
        "nursing",
        "Registered Nurse, Intensive Care Unit\n\nOur 24-bed intensive care unit seeks a registered nurse for day "
        "and night shifts. You will assess and monitor critically ill patients, manage ventilators and IV "
        "therapy, administer medication, and work with physicians and families on care and discharge plans.\n\n"
        "Requirements: current RN licence; BLS and ACLS; two years of acute or critical care experience; "
        "electronic health records. Nice to have: charge nurse or preceptor experience.",
    ),
    "account-executive": (
        "sales",
        "Enterprise Account Executive\n\nSell our platform to mid-size and enterprise customers in the Nordics. "
        "You own the full cycle: prospecting, discovery, demos, negotiation and closing, then a smooth handover "
        "to customer success.\n\nRequirements: four years of B2B SaaS sales; a record of beating quota; "
        "Salesforce; structured qualification such as MEDDIC. Nice to have: partner channel experience.",
    ),
}


def resume(rng: random.Random, domain: str) -> list[str]:
    d = DOMAINS[domain]
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    title = rng.choice(d["titles"])
    years = rng.randint(2, 15)
    skills = rng.sample(d["skills"], 7)
    work = rng.sample(d["work"], 4)
    lines = [
        f"{name}",
        f"{title}",
        "",
        f"Summary: {title.lower()} with {years} years of experience. Strengths in {skills[0]}, {skills[1]} and {skills[2]}.",
        "",
        "Experience",
    ]
    for i, item in enumerate(work):
        lines.append(f"- {item[0].upper() + item[1:]}.")
        if i == 1:
            lines.append(f"- Worked daily with {skills[3]} and {skills[4]}.")
    lines += ["", f"Skills: {', '.join(skills)}.", "", f"Languages: English, {rng.choice(['Spanish', 'German', 'French', 'Arabic', 'Japanese', 'Swedish', 'Polish'])}."]
    return lines


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    (ROOT / "postings").mkdir(parents=True)
    (ROOT / "resumes").mkdir(parents=True)
    for name, (_, text) in POSTINGS.items():
        (ROOT / "postings" / f"{name}.txt").write_text(text + "\n")
    rng = random.Random(2026)
    number = 0
    for domain in DOMAINS:
        for _ in range(6):
            number += 1
            lines = resume(rng, domain)
            stem = f"{number:02d}-{lines[0].lower().replace(' ', '-')}"
            if number % 8 == 3:  # some PDFs
                (ROOT / "resumes" / f"{stem}.pdf").write_bytes(text_page_pdf([l for l in lines if l] or [" "]))
            elif number % 8 == 6:  # some Word documents
                (ROOT / "resumes" / f"{stem}.docx").write_bytes(docx(document_xml([l for l in lines if l])))
            else:
                (ROOT / "resumes" / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    (ROOT / "README.md").write_text(
        "# Sample corpus\n\nFictional resumes and job descriptions written for Shortlist's demo "
        "(`npm run demo`); made by `python3 tools/make_demo_corpus.py`. Eight domains (software, data, nursing, "
        "accounting, sales, teaching, logistics, legal), six resumes each, a few as PDF and DOCX; three postings.\n"
    )


if __name__ == "__main__":
    main()
