import { jobTitle } from './job-title';

describe('jobTitle', () => {
  it("takes the document's first line, up to a colon introducing the rest", () => {
    expect(jobTitle('\n  Senior data engineer: Kafka, Spark and Airflow.\nMore', 'x/job.txt')).toBe(
      'Senior data engineer',
    );
    expect(jobTitle('ICU Nurse (nights)\n\nAbout us...', 'icu.pdf')).toBe('ICU Nurse (nights)');
    expect(jobTitle('Job title: Account Executive\nSell things', 'a.docx')).toBe('Account Executive');
  });

  it('falls back to the file name without its extension', () => {
    expect(jobTitle('', '/tmp/technology.txt')).toBe('technology');
    expect(jobTitle('----\n1234', 'posting.pdf')).toBe('posting');
    expect(jobTitle(`${'word '.repeat(40)}`, 'long.txt')).toBe('long');
  });
});
