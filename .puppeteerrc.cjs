// Puppeteer drives Debian's /usr/bin/chromium (SwiftShader WebGPU); it never downloads a browser.
module.exports = { skipDownload: true };
