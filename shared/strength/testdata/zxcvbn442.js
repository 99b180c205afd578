// Rewrites zxcvbn442.json with what zxcvbn 4.4.2 itself says of each of its cases, so that
// TestMatchesZxcvbn442 compares the Go port with the original. From the repository root:
//
//   npm install --prefix /tmp/zxcvbn442 --ignore-scripts zxcvbn@4.4.2
//   NODE_PATH=/tmp/zxcvbn442/node_modules node shared/strength/testdata/zxcvbn442.js
//
// To add a case, add {"password": "...", "user_inputs": [...]} to the file and run it again.
'use strict';
const fs = require('fs');
const path = require('path');

const version = require('zxcvbn/package.json').version;
if (version !== '4.4.2') throw new Error(`zxcvbn ${version} is installed, not 4.4.2`);
const zxcvbn = require('zxcvbn');
// Dates and recent years cost guesses by their distance from the current year: pin it, as the
// Go test does, so the file does not drift.
require('zxcvbn/lib/scoring').REFERENCE_YEAR = 2026;

const file = path.join(__dirname, 'zxcvbn442.json');
const cases = JSON.parse(fs.readFileSync(file, 'utf8')).map(({password, user_inputs}) => {
  const r = zxcvbn(password, user_inputs || []);
  const c = {password};
  if (user_inputs && user_inputs.length) c.user_inputs = user_inputs;
  return Object.assign(c, {
    score: r.score,
    guesses: r.guesses,
    warning: r.feedback.warning,
    suggestions: r.feedback.suggestions,
  });
});
fs.writeFileSync(file, '[\n' + cases.map((c) => JSON.stringify(c)).join(',\n') + '\n]\n');
console.log(`${cases.length} cases written to ${file}`);
