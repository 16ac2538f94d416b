// Jest only (see jest.config.js): content-disposition 3 (ESM-only, used by @fastify/static) served through the
// CommonJS 0.5 line, whose default export is v3's `create`.
const legacy = require('../../node_modules/content-disposition/index.js');

module.exports = Object.assign((...args) => legacy(...args), legacy, { create: legacy });
