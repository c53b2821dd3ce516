// What `octet/node` resolves to under the `browser` condition: the Node entry needs Dawn and the
// file system, so a browser bundle that imports it fails here with the fix, not deep inside a
// bundler's stub for node:fs.
throw new Error("octet/node runs only in Node (it loads Dawn and reads files); in a browser import from 'octet' and call requestGpuContext()");
