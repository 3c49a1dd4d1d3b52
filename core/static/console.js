// Creating a commune's tenant: propose its name and slug from the chosen commune (the server does too).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("create-commune");
  if (!form) return;
  const commune = form.querySelector("select[name=commune]");
  const name = form.querySelector("input[name=name]");
  const slug = form.querySelector("input[name=slug]");
  const propose = () => {
    const option = commune.selectedOptions[0];
    if (!option) return;
    name.placeholder = option.dataset.name || "";
    slug.placeholder = option.dataset.slug || "";
  };
  commune.addEventListener("change", propose);
  propose();
});
