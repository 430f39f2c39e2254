// `node --import ./no-native-xz.mjs`: node-liblzma's native addon "cannot load", as after an install
// that ran no scripts on a system its prebuilt binary does not fit. Its WebAssembly build still can.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(
      `export async function resolve(specifier, context, next) {
        if (specifier === 'node-liblzma') throw new Error("libstdc++.so.6: version 'GLIBCXX_3.4.31' not found (simulated)");
        return next(specifier, context);
      }`,
    ),
);
