// emviz components' shared DOM helpers: read first into each component's one module (emviz/stepper.py
// and emviz/drawing.py join their files after this one).

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// One view (a Stepper, a Drawing) per container, kept across runs: ``accept`` takes each run's data.
// A container Streamlit reuses after an unmount may still hold an old root: one view only. The newest
// view becomes ``cache.active``, so keyboard shortcuts go to it should an old one linger on the page.
function mountOnce(component, View, rootClass, cache) {
  const { parentElement } = component;
  let view = parentElement.__emvizView;
  if (!view || !view.root.isConnected) {
    parentElement.querySelectorAll(`:scope > .${rootClass}`).forEach((root) => root.remove());
    view = new View(parentElement);
    parentElement.__emvizView = view;
  }
  cache.active = view;
  view.accept(component);
  return () => {
    view.destroy();
    view.root.remove();
    if (parentElement.__emvizView === view) delete parentElement.__emvizView;
  };
}
