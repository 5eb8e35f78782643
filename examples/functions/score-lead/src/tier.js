exports.tierOf = (score) => (score >= 80 ? 'gold' : score >= 50 ? 'silver' : 'bronze');
