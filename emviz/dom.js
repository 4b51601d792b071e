// emviz components' shared DOM helper: read first into each component's one module (emviz/stepper.py
// and emviz/drawing.py join their files after this one).

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
