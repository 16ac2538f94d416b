/**
 * The professional domains of the nbk domain model card, as stable keys with a name and a description. The domain
 * model embeds each description into a prototype vector; a document's domain is the prototype nearest to its
 * domain vector (cosine), with the runner-up (libs/db: shortlist_nearest_domains). A tenant may replace or extend
 * this set (`/v1/domain-sets`).
 *
 * Each description names the roles, tasks, tools and vocabulary of its field, the way resumes and postings of
 * that field talk: a prototype is only as good as its description's likeness to real documents.
 */

export interface DomainDefinition {
  /** Stable key: lower case, digits and underscores. */
  key: string;
  name: string;
  description: string;
}

/** The fixed id of the card's built-in set: the set of every tenant that has not chosen one of its own. */
export const CARD_DOMAIN_SET_ID = '00000000-0000-4000-8000-00000000000d';

export const CARD_DOMAINS: readonly DomainDefinition[] = [
  {
    key: 'technology',
    name: 'Technology',
    description:
      'Software engineering and information technology: software developers, backend, frontend and full-stack ' +
      'engineers, DevOps and site reliability engineers, data engineers, machine learning engineers, IT support ' +
      'and security analysts. Writing code in Python, Java, JavaScript, TypeScript, Go or C#; building web ' +
      'applications, APIs, databases and cloud infrastructure on AWS, Azure or Kubernetes; testing, deployment ' +
      'pipelines, monitoring and on-call for production systems.',
  },
  {
    key: 'healthcare',
    name: 'Healthcare',
    description:
      'Medicine, nursing and patient care: registered nurses, physicians, physician assistants, pharmacists, ' +
      'therapists, paramedics and care assistants in hospitals, clinics and care homes. Assessing and treating ' +
      'patients, giving medication, monitoring vital signs, intensive care, emergency and surgical wards, ' +
      'clinical documentation in health records, infection control, life support certification and a licence ' +
      'to practise.',
  },
  {
    key: 'finance',
    name: 'Finance',
    description:
      'Accounting, banking and investment: accountants, auditors, financial analysts, controllers, treasury, ' +
      'tax and investment professionals. Bookkeeping, the general ledger and the monthly close, financial ' +
      'statements under IFRS or GAAP, budgets and forecasts, financial models and valuations, audits, risk and ' +
      'portfolio management; CPA, ACCA or CFA qualifications.',
  },
  {
    key: 'education',
    name: 'Education',
    description:
      'Teaching and learning: school teachers, lecturers, tutors, teaching assistants, special education staff ' +
      'and curriculum leaders. Planning and delivering lessons, managing classrooms, assessing and grading ' +
      'students, designing curricula, supporting pupils with special needs, talking with parents, safeguarding ' +
      'children; teaching qualifications and certification.',
  },
  {
    key: 'legal',
    name: 'Legal',
    description:
      'Law and legal services: lawyers, solicitors, attorneys, in-house counsel, paralegals and legal ' +
      'assistants. Drafting and negotiating contracts, advising clients, litigation and disputes, court ' +
      'proceedings, legal research and case law, regulatory and compliance advice, mergers and due diligence, ' +
      'intellectual property and employment law; admission to the bar.',
  },
  {
    key: 'sales_marketing',
    name: 'Sales and Marketing',
    description:
      'Selling and promoting products: account executives, sales representatives, business development, ' +
      'account managers, marketing managers, digital and growth marketers, brand and communications staff. ' +
      'Prospecting, closing deals and meeting revenue quotas, managing a CRM pipeline, campaigns on search, ' +
      'social media and email, advertising budgets, market research, branding, lead generation and customer ' +
      'acquisition.',
  },
  {
    key: 'human_resources',
    name: 'Human Resources',
    description:
      'People management in organisations: HR business partners, recruiters and talent acquisition, HR ' +
      'generalists, payroll, compensation and benefits, learning and development. Hiring and interviewing ' +
      'candidates, onboarding employees, performance reviews, employee relations, grievances and ' +
      'disciplinaries, HR policies and employment law compliance, HR information systems and engagement.',
  },
  {
    key: 'manufacturing_operations',
    name: 'Manufacturing and Operations',
    description:
      'Making and moving physical goods: production managers, plant and operations managers, supply chain and ' +
      'logistics planners, quality engineers, procurement, warehouse and maintenance staff. Running factories ' +
      'and production lines, lean manufacturing and Six Sigma, quality control and ISO standards, inventory, ' +
      'purchasing, suppliers, distribution, health and safety on the shop floor.',
  },
  {
    key: 'design',
    name: 'Design',
    description:
      'Visual, product and user experience design: graphic designers, UX and UI designers, product designers, ' +
      'user researchers, illustrators and brand designers. Creating layouts, logos, visual identities and ' +
      'illustrations, wireframes and prototypes in Figma or Adobe tools, user interviews and usability testing, ' +
      'design systems, typography, colour and accessibility; a design portfolio.',
  },
  {
    key: 'retail_hospitality',
    name: 'Retail and Hospitality',
    description:
      'Shops, hotels, restaurants and travel: store managers, sales associates, cashiers, hotel receptionists ' +
      'and managers, chefs, cooks, waiters, bar staff and event staff. Serving customers and guests, running ' +
      'a shop floor or a kitchen, merchandising, stock and tills, bookings and front desk, menus and food ' +
      'hygiene, shift rotas and customer satisfaction.',
  },
  {
    key: 'construction_real_estate',
    name: 'Construction and Real Estate',
    description:
      'Building and property: construction site managers, civil engineers, architects, quantity surveyors, ' +
      'tradespeople, property managers, estate agents and surveyors. Planning and supervising building works, ' +
      'site safety, building codes and permits, cost estimates and tenders, subcontractors, renovations, ' +
      'buying, selling, letting and valuing property, leases and landlords.',
  },
  {
    key: 'government_nonprofit',
    name: 'Government and Nonprofit',
    description:
      'Public service and the charitable sector: civil servants, policy officers, local government staff, ' +
      'programme managers, grant writers, fundraisers, community organisers and volunteers coordinators at ' +
      'charities and NGOs. Public policy and regulation, public services, grants and donors, community ' +
      'programmes, advocacy, impact reporting and accountability to the public.',
  },
  {
    key: 'media_entertainment',
    name: 'Media and Entertainment',
    description:
      'News, film, television, music, publishing and games: journalists, reporters, editors, writers, video ' +
      'producers, film editors, camera operators, presenters, musicians, actors and content creators. ' +
      'Reporting and writing stories, editing copy, shooting and editing video, broadcasting, podcasts, ' +
      'scripts, production schedules and audiences on streaming and social platforms.',
  },
];

/** A domain key: what a tenant's set may use, and what filters accept. */
export const DOMAIN_KEY = /^[a-z][a-z0-9_]{0,62}$/;

export class InvalidDomainSetError extends Error {
  override readonly name = 'InvalidDomainSetError';
}

/**
 * A tenant's domain set from what it sent: its own domains alone (`base: 'none'`), or the card's extended by
 * them (`base: 'card'`: a domain with a card key replaces that card domain's name and description). At least two
 * domains (a runner-up must exist), keys unique, descriptions non-empty.
 */
export function buildDomainSet(
  base: 'card' | 'none',
  domains: readonly { key: string; name?: string | undefined; description: string }[],
): DomainDefinition[] {
  const merged = new Map<string, DomainDefinition>(
    base === 'card' ? CARD_DOMAINS.map((d) => [d.key, { ...d }]) : [],
  );
  const seen = new Set<string>();
  for (const [i, domain] of domains.entries()) {
    if (!DOMAIN_KEY.test(domain.key)) {
      throw new InvalidDomainSetError(
        `domains[${i}].key: ${JSON.stringify(domain.key)} is not a key (lower case letters, digits, _; up to 63)`,
      );
    }
    if (seen.has(domain.key))
      throw new InvalidDomainSetError(`domains[${i}].key: ${domain.key} appears twice`);
    seen.add(domain.key);
    const description = domain.description.trim();
    if (!description) throw new InvalidDomainSetError(`domains[${i}].description: empty`);
    // Control and format characters are removed before embedding: a description of those alone embeds nothing,
    // and every document classified into the set would fail on it.
    if (!/[\p{L}\p{N}]/u.test(description)) {
      throw new InvalidDomainSetError(`domains[${i}].description: has no letter or digit: nothing to embed`);
    }
    merged.set(domain.key, {
      key: domain.key,
      name: domain.name?.trim() || merged.get(domain.key)?.name || domain.key,
      description,
    });
  }
  if (merged.size < 2) {
    throw new InvalidDomainSetError('a domain set needs at least two domains (a runner-up must exist)');
  }
  return [...merged.values()];
}
