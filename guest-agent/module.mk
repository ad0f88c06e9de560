# guest-agent: placeholder until the component lands
