# agentd: placeholder until the component lands
