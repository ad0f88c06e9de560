# cli: placeholder until the component lands
