// Scores a lead. The event is the action's resolved request body (its inputs as JSON); the
// request headers arrive in context.clientContext.
const { tierOf } = require('./tier');

exports.handler = async (event, context) => {
  console.log('scoring lead %s from %s', event.leadId, context.clientContext['X-Source']);
  if (event.leadId === 'boom') {
    throw new Error(`lead ${event.leadId} cannot be scored`);
  }
  if (event.leadId === 'reject') {
    // Genesys takes the Success path for this: a function fails only by throwing.
    return { statusCode: 400, score: 0, tier: 'rejected' };
  }
  const size = Math.min(60, Math.round(Math.log10(Math.max(1, event.employees)) * 15));
  const region = event.country === 'US' ? 10 : 20;
  const score = Math.min(100, size + region + 10);
  return { score, tier: tierOf(score) };
};
