/**
 * The node facts' `docker version` (the side-by-side view of nodes): docker info / docker version where the bundle has
 * them, else dockerd's latest logged start line (`msg="Docker daemon" ... version=26.1.3`). Real sosreport trees made
 * by reviewer R25 (test/fixtures/h78-07-docker-firewalld: no docker info, the version only in var/log/messages;
 * test/fixtures/h78-29-docker285-firewalld: docker info and docker version of 28.5.1).
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

describe("the docker version fact", () => {
  it("from dockerd's logged start where the bundle has no docker info (R25 c07: 26.1.3)", async () => {
    const r = await analyzeBundle(projectPath('test/fixtures/h78-07-docker-firewalld'));
    expect(r.nodes.map((n) => n.facts['docker version'])).toEqual(['26.1.3']);
  });

  it('from docker info where the bundle has it (R25 c29: 28.5.1)', async () => {
    const r = await analyzeBundle(projectPath('test/fixtures/h78-29-docker285-firewalld'));
    expect(r.nodes.map((n) => n.facts['docker version'])).toEqual(['28.5.1']);
  });
});
