// as-pect 8 configuration (ESM: the package is "type": "module"). The AssemblyScript options come
// from as-pect.asconfig.json, which extends ./asconfig.json; tests build with SIMD enabled so
// the v128 scoring path is checked against the scalar one.
export default {
  entries: ['assembly/__tests__/**/*.spec.ts'],
  include: ['assembly/__tests__/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
