import { sql } from 'drizzle-orm';
import { queryRows } from '@shortlist/db';
import { CARD_DOMAINS, CARD_DOMAIN_SET_ID } from '@shortlist/scoring';
import { ok, type ApiClient } from '../support/api-client/client';
import type { paths } from '../support/api-client/openapi';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { runCliAsync } from '../support/cli';
import { waitFor } from '../support/net';

interface Label {
  label: string;
  similarity: number;
  runnerUp: { label: string; similarity: number } | null;
}
interface DocumentView {
  id: string;
  status: string;
  domainLabel?: Label;
}

const CARD_KEYS = CARD_DOMAINS.map((d) => d.key);
const TEXTS = [
  'Registered nurse, intensive care unit: patient assessment, medication administration, ventilators.',
  'Backend engineer: Go, PostgreSQL, Kubernetes, on-call for payment services.',
  'Financial controller: month-end close, IFRS consolidation, audit and forecasting.',
  'Secondary school teacher of physics: lesson planning, classroom management, exams.',
  'Litigation associate: court filings, case law research, drafting witness statements.',
  'Head chef of a 120-cover restaurant: menus, food safety, a brigade of twelve cooks.',
];

/**
 * Domain classification through the services (tiny random models: the labels carry no meaning, the mechanics
 * are what is tested; test/integration/quality-real-model.test.ts measures the labels on a real model).
 */
describe('domain labels through the API, the worker and SQL', () => {
  let stack: ApiStack;
  let resumes: string[];
  let postingId: string;
  /** The typed clients of the API as the two tenants; every answer is checked against the OpenAPI document. */
  let acme: ApiClient;
  let globex: ApiClient;

  const document = async (id: string): Promise<DocumentView> =>
    ok(acme.GET('/v1/documents/{id}', { params: { path: { id } } }));
  /** Waits until every resume is labelled from the given keys. */
  const labelledFrom = (keys: string[]) =>
    waitFor(
      `resumes labelled from ${keys.join(', ')}`,
      async () => {
        const views = await Promise.all(resumes.map(document));
        return views.every((v) => v.domainLabel && keys.includes(v.domainLabel.label)) ? views : undefined;
      },
      60_000,
      200,
    );
  type ScreeningBody =
    paths['/v1/postings/{id}/screenings']['post']['requestBody']['content']['application/json'];
  const screen = async (body: ScreeningBody) => {
    const { runId } = await ok(
      acme.POST('/v1/postings/{id}/screenings', { params: { path: { id: postingId } }, body }),
    );
    return waitFor(
      `screening ${runId}`,
      async () => {
        const run = await ok(
          acme.GET('/v1/screenings/{runId}', { params: { path: { runId }, query: { limit: 100 } } }),
        );
        return run.status === 'completed' ? { runId, ...run } : undefined;
      },
      60_000,
      200,
    );
  };

  beforeAll(async () => {
    stack = await startApiStack();
    acme = stack.client(stack.keys.acme);
    globex = stack.client(stack.keys.globex);
    const accepted = await ok(
      acme.POST('/v1/documents', {
        body: { documents: TEXTS.map((text) => ({ kind: 'resume' as const, text })) },
      }),
    );
    resumes = accepted.documents.map((d) => d.id);
    const posting = await ok(
      acme.POST('/v1/postings', {
        body: {
          title: 'ICU nurse',
          text: 'We hire an ICU nurse: patient care, medication, ventilator management.',
        },
      }),
    );
    postingId = posting.id;
    await ok(
      acme.POST('/v1/postings/{id}/applicants', {
        params: { path: { id: postingId } },
        body: { documentIds: resumes },
      }),
    );
  }, 120_000);
  afterAll(() => stack.stop());

  it("labels every embedded document with the nearest of the card's domains and the runner-up", async () => {
    const views = await labelledFrom(CARD_KEYS);
    for (const { domainLabel } of views) {
      expect(domainLabel!.runnerUp).not.toBeNull();
      expect(domainLabel!.runnerUp!.label).not.toBe(domainLabel!.label);
      expect(domainLabel!.similarity).toBeGreaterThanOrEqual(domainLabel!.runnerUp!.similarity);
      expect(domainLabel!.similarity).toBeLessThanOrEqual(1);
    }
    // The stored label is the one SQL computes for analysts from the vectors and prototypes.
    for (const view of views) {
      const [live] = await queryRows<{ label: string; similarity: number; runner_up: string }>(
        stack.database.db,
        sql`SELECT * FROM shortlist_classify_document(${view.id}::uuid)`,
      );
      expect(live).toMatchObject({
        label: view.domainLabel!.label,
        runner_up: view.domainLabel!.runnerUp!.label,
      });
      expect(live!.similarity).toBeCloseTo(view.domainLabel!.similarity, 6);
    }
  });

  it('filters documents by domain label', async () => {
    const views = await labelledFrom(CARD_KEYS);
    const label = views[0]!.domainLabel!.label;
    const { documents: listed } = await ok(
      acme.GET('/v1/documents', { params: { query: { kind: 'resume', domain: label } } }),
    );
    expect(listed.map((d) => d.id).sort()).toEqual(
      views
        .filter((v) => v.domainLabel!.label === label)
        .map((v) => v.id)
        .sort(),
    );
    expect(listed.every((d) => d.domainLabel!.label === label)).toBe(true);
    // Another tenant sees none of them.
    const other = await ok(globex.GET('/v1/documents', { params: { query: { domain: label } } }));
    expect(other.documents).toEqual([]);
  });

  it('shows labels in results and CSV, and restricts a screening to domains', async () => {
    const views = await labelledFrom(CARD_KEYS);
    const labelOf = new Map(views.map((v) => [v.id, v.domainLabel!.label]));
    const all = await screen({});
    expect(all.results).toHaveLength(resumes.length);
    for (const r of all.results) {
      expect(r.domainLabel!.label).toBe(labelOf.get(r.documentId));
      expect(typeof r.domain).toBe('number'); // the cosine of the public contract stays
    }
    expect(CARD_KEYS).toContain(all.postingDomainLabel!.label);
    const csv = await ok(
      acme.GET('/v1/screenings/{runId}/export.csv', {
        params: { path: { runId: all.runId } },
        parseAs: 'text',
      }),
    );
    const [header, first] = csv.split('\r\n');
    const columns = header!.split(',');
    expect(columns.slice(12, 15)).toEqual(['domainLabel', 'domainSimilarity', 'domainRunnerUp']);
    expect(first!.split(',')[12]).toBe(all.results[0]!.domainLabel!.label);

    const label = views[0]!.domainLabel!.label;
    const restricted = await screen({ domains: [label] });
    expect(restricted.domains).toEqual([label]);
    expect(restricted.results.map((r) => r.documentId).sort()).toEqual(
      views
        .filter((v) => v.domainLabel!.label === label)
        .map((v) => v.id)
        .sort(),
    );
    // Renumbered: the ranks of a restricted run count only the candidates it kept.
    expect(restricted.results.map((r) => r.rank)).toEqual(restricted.results.map((_, i) => i + 1));

    const unknown = await acme.POST('/v1/postings/{id}/screenings', {
      params: { path: { id: postingId } },
      body: { domains: ['astrology'] },
    });
    expect(unknown.response.status).toBe(400);
    expect(unknown.error?.message).toMatch(/astrology/);
  });

  it("replaces the card's domains with a tenant's set, relabels, and goes back when it is deleted", async () => {
    const listed = await ok(acme.GET('/v1/domain-sets'));
    expect(listed.domainSets).toEqual([
      expect.objectContaining({ id: CARD_DOMAIN_SET_ID, builtIn: true, active: true }),
    ]);
    expect(listed.domainSets[0]!.domains.map((d) => d.key)).toEqual(CARD_KEYS);

    const bad = await acme.POST('/v1/domain-sets', {
      body: { name: 'one', base: 'none', domains: [{ key: 'only', description: 'a single domain' }] },
    });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.message).toMatch(/at least two/);

    const created = await acme.POST('/v1/domain-sets', {
      body: {
        name: 'clinical vs not',
        base: 'none',
        domains: [
          {
            key: 'clinical',
            name: 'Clinical',
            description: 'Nurses and doctors caring for patients in hospitals.',
          },
          { key: 'other', description: 'Everything else: offices, kitchens, schools and courts.' },
        ],
      },
    });
    expect(created.response.status).toBe(201);
    const set = created.data!;
    expect(set).toMatchObject({ active: true, domains: [{ key: 'clinical' }, { key: 'other' }] });
    // The worker embeds the two descriptions and relabels the tenant's documents.
    await labelledFrom(['clinical', 'other']);
    // The other tenant keeps the card's set.
    const theirs = await ok(globex.GET('/v1/domain-sets'));
    expect(theirs.domainSets.map((s) => s.id)).toEqual([CARD_DOMAIN_SET_ID]);
    const byId = (id: string) => ({ params: { path: { id } } });
    expect((await globex.GET('/v1/domain-sets/{id}', byId(set.id))).response.status).toBe(404);
    expect(await ok(acme.GET('/v1/domain-sets/{id}', byId(set.id)))).toMatchObject({
      id: set.id,
      active: true,
    });

    expect((await acme.DELETE('/v1/domain-sets/{id}', byId(CARD_DOMAIN_SET_ID))).response.status).toBe(400);
    // Back to the card's set, and then to this one again: activating a set relabels as creating it did.
    expect(await ok(acme.POST('/v1/domain-sets/{id}/activate', byId(CARD_DOMAIN_SET_ID)))).toMatchObject({
      active: true,
    });
    await labelledFrom(CARD_KEYS);
    expect(await ok(acme.POST('/v1/domain-sets/{id}/activate', byId(set.id)))).toMatchObject({
      active: true,
    });
    await labelledFrom(['clinical', 'other']);
    expect((await acme.DELETE('/v1/domain-sets/{id}', byId(set.id))).response.status).toBe(204);
    await labelledFrom(CARD_KEYS);
  });

  it('labels again, in the nightly sweep, documents left without a label', async () => {
    const before = await labelledFrom(CARD_KEYS);
    // As after an upgrade to this release: documents with vectors and no label.
    await queryRows(
      stack.database.db,
      sql`DELETE FROM document_domains WHERE tenant_id = (SELECT tenant_id FROM tenants WHERE name = 'acme')`,
    );
    expect((await document(resumes[0]!)).domainLabel).toBeUndefined();
    const night = await runCliAsync(['rescore', '--now', '--day', '2031-02-03'], {
      REDIS_PREFIX: stack.prefix,
      DATABASE_URL: stack.database.url,
    });
    expect(night.status).toBe(0);
    const after = await labelledFrom(CARD_KEYS);
    expect(after.map((v) => v.domainLabel)).toEqual(before.map((v) => v.domainLabel));
  });
});
