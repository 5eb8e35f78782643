// Excluded from the zip (`exclude:`): a developer's own test, never uploaded.
const { handler } = require('./index');
handler({ leadId: 'L-1', employees: 5000, country: 'DE' }, { clientContext: {} }).then((r) => console.log(r));
